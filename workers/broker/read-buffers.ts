// Runs on: broker thread.
/** Buffers kept at most, and the most bytes they may hold together. */
const MAX_BUFFERS = 8;
const MAX_BYTES = 32 * 1024 * 1024;
/** Smaller reads are cheap enough to allocate (and may sit in Node's shared pool, never transferred). */
const MIN_BYTES = 64 * 1024;

/**
 * The memory fetches are read into, reused. A fetch's bytes cross to the main thread as a
 * transferred ArrayBuffer; once the Kafka listener has written them to its socket it hands the
 * ArrayBuffer back (the `recycle` request), and the next fetch reads into it. Without this, each
 * fetch cost a fresh allocation here (page faults included) and, on the main thread, a foreign
 * ArrayBuffer that V8 counts as external memory: a consumer reading a few MB per second made it
 * run a full mark-compact every few MB. Buffers that never come back (a sink worker's, a read-ahead
 * window) are simply collected.
 */
export class ReadBuffers {
  private readonly free: ArrayBuffer[] = [];
  private bytes = 0;

  /** `size` bytes to read into: a returned buffer of at least that size and at most twice it, else a new one. */
  take(size: number): Buffer {
    if (size >= MIN_BYTES) {
      const i = this.free.findIndex((b) => b.byteLength >= size && b.byteLength <= size * 2);
      if (i >= 0) {
        const [buffer] = this.free.splice(i, 1);
        this.bytes -= buffer.byteLength;
        return Buffer.from(buffer, 0, size);
      }
    }
    return Buffer.allocUnsafe(size);
  }

  /** A buffer the reader is done with; kept while there is room, else left to the collector. */
  give(buffer: ArrayBuffer): void {
    if (buffer.byteLength < MIN_BYTES) return;
    if (this.free.length >= MAX_BUFFERS || this.bytes + buffer.byteLength > MAX_BYTES) return;
    this.free.push(buffer);
    this.bytes += buffer.byteLength;
  }
}
