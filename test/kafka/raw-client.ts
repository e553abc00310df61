/** A raw Kafka connection for tests of the listener's framing and connection handling. */
import { connect, type Socket } from 'node:net';
import { writeRequestHeader } from '../../src/kafka/messages/request-header.js';
import { KafkaWriter } from '../../src/kafka/protocol/writer.js';

/** A raw Kafka connection: frames out, frames in, and whether the server closed it. */
export class RawClient {
  private buffered = Buffer.alloc(0);
  /** Chunks received after `buffered`, joined only once a whole frame is there (a 50 MB response comes in 64 KB reads). */
  private chunks: Buffer[] = [];
  private chunkBytes = 0;
  private waiters: (() => void)[] = [];
  closed = false;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (c: Buffer) => {
      this.chunks.push(c);
      this.chunkBytes += c.length;
      for (const w of this.waiters.splice(0)) w();
    });
    socket.on('close', () => {
      this.closed = true;
      for (const w of this.waiters.splice(0)) w();
    });
  }

  static open(bootstrap: string): Promise<RawClient> {
    const [host, port] = bootstrap.split(':');
    return new Promise((resolve, reject) => {
      const s = connect(Number(port), host, () => resolve(new RawClient(s)));
      s.once('error', reject);
    });
  }

  send(body: (w: KafkaWriter) => void): void {
    const w = new KafkaWriter();
    w.int32(0);
    body(w);
    const out = w.finish();
    out.writeInt32BE(out.length - 4, 0);
    this.socket.write(out);
  }

  sendRaw(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** The next response frame, or null once the server closed the connection. */
  async next(): Promise<Buffer | null> {
    for (;;) {
      if (this.buffered.length < 4 || this.buffered.length + this.chunkBytes >= 4 + this.buffered.readInt32BE(0)) {
        this.buffered = Buffer.concat([this.buffered, ...this.chunks.splice(0)]);
        this.chunkBytes = 0;
      }
      if (this.buffered.length >= 4 && this.buffered.length >= 4 + this.buffered.readInt32BE(0)) {
        const n = this.buffered.readInt32BE(0);
        const frame = this.buffered.subarray(4, 4 + n);
        this.buffered = this.buffered.subarray(4 + n);
        return frame;
      }
      if (this.closed) return null;
      await new Promise<void>((r) => this.waiters.push(r));
    }
  }

  /** Stops reading the socket (what the server sends waits in the kernel's buffers), or reads again. */
  reading(on: boolean): void {
    if (on) this.socket.resume();
    else this.socket.pause();
  }

  close(): void {
    this.socket.destroy();
  }
}

export function header(apiKey: number, version: number, correlationId: number, headerVersion = 1) {
  return (w: KafkaWriter) => writeRequestHeader(w, headerVersion, { requestApiKey: apiKey, requestApiVersion: version, correlationId, clientId: 'raw-test' });
}
