/**
 * Runs on: main thread.
 *
 * One client connection: size-prefixed frames in, one response per request out (none for
 * Produce with acks 0). Requests are handled one at a time, in the order they arrived, as a Kafka
 * broker does: pipelined produces to a partition are appended in order, and responses leave in
 * request order. Reading pauses while requests queue up, so a client that pipelines faster than
 * the log answers is held back by TCP, not buffered without bound.
 *
 * A frame over the size limit, an unknown API key, an unsupported version (except ApiVersions,
 * answered with UNSUPPORTED_VERSION and the versions served) or a malformed request closes the
 * connection, as Kafka does: the client's stream can no longer be trusted.
 */
import type { Socket } from 'node:net';
import type { Logger } from '../telemetry/logger.js';
import type { AnyApiHandler, KafkaServices, RequestContext } from './api.js';
import { KafkaError } from './error-codes.js';
import type { KafkaMetrics } from './kafka-metrics.js';
import { writeApiVersionsResponse } from './messages/api-versions-response.js';
import { readRequestHeader } from './messages/request-header.js';
import { KafkaReader } from './protocol/reader.js';
import { KafkaWriter } from './protocol/writer.js';

const API_VERSIONS_KEY = 18;
/** Frames read ahead of the one being handled before the socket is paused. */
const MAX_QUEUED_FRAMES = 32;

export interface ConnectionDeps {
  registry: ReadonlyMap<number, AnyApiHandler>;
  services: KafkaServices;
  maxRequestBytes: number;
  metrics: KafkaMetrics;
  logger: Logger;
}

export class KafkaConnection {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private readonly frames: Buffer[] = [];
  private running: Promise<void> | undefined;
  private closed = false;
  private readonly remote: string;

  constructor(
    private readonly socket: Socket,
    private readonly deps: ConnectionDeps,
  ) {
    this.remote = `${socket.remoteAddress}:${socket.remotePort}`;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => deps.logger.debug('kafka connection error', { remote: this.remote, error: err.message }));
    socket.on('close', () => {
      this.closed = true;
      this.frames.length = 0;
    });
  }

  /** Stops reading, lets the request in hand finish (up to `graceMs`), then closes the socket. */
  async close(graceMs: number): Promise<void> {
    this.closed = true;
    this.frames.length = 0;
    this.socket.pause();
    if (this.running) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([this.running, new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)))]);
      clearTimeout(timer);
    }
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    this.deps.metrics.receivedBytes.inc(chunk.length);
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    while (this.pendingBytes >= 4) {
      const head = this.pending[0].length >= 4 ? this.pending[0] : this.flatten();
      const size = head.readInt32BE(0);
      if (size < 0 || size > this.deps.maxRequestBytes) {
        this.fail('frame-too-large', `a request of ${size} bytes is over kafka.max_request_bytes (${this.deps.maxRequestBytes})`);
        return;
      }
      if (this.pendingBytes < 4 + size) break;
      const all = this.flatten();
      this.frames.push(all.subarray(4, 4 + size));
      this.pending = all.length > 4 + size ? [all.subarray(4 + size)] : [];
      this.pendingBytes = all.length - 4 - size;
    }
    if (this.frames.length >= MAX_QUEUED_FRAMES) this.socket.pause();
    if (!this.running && this.frames.length > 0) this.running = this.drain();
  }

  private flatten(): Buffer {
    if (this.pending.length > 1) this.pending = [Buffer.concat(this.pending, this.pendingBytes)];
    return this.pending[0];
  }

  private async drain(): Promise<void> {
    try {
      while (!this.closed && this.frames.length > 0) {
        const frame = this.frames.shift()!;
        if (this.frames.length < MAX_QUEUED_FRAMES / 2 && this.socket.isPaused()) this.socket.resume();
        await this.handle(frame);
      }
    } finally {
      this.running = undefined;
    }
  }

  private async handle(frame: Buffer): Promise<void> {
    if (frame.length < 8) return this.fail('malformed', 'a request frame shorter than its header');
    const apiKey = frame.readInt16BE(0);
    const version = frame.readInt16BE(2);
    const correlationId = frame.readInt32BE(4);
    const handler = this.deps.registry.get(apiKey);
    if (!handler) return this.fail('unknown-api', `API key ${apiKey} is not served`);
    const { metrics } = this.deps;
    metrics.requests.inc({ api: handler.name, version: String(version) });
    if (version < handler.versions.min || version > handler.versions.max) {
      if (apiKey === API_VERSIONS_KEY) return this.unsupportedApiVersions(correlationId);
      return this.fail('unsupported-version', `${handler.name} v${version} is not served (v${handler.versions.min}-${handler.versions.max} are)`, handler);
    }
    const flexible = handler.flexibleFrom >= 0 && version >= handler.flexibleFrom;
    let request: unknown;
    let ctx: RequestContext;
    try {
      const reader = new KafkaReader(frame);
      const header = readRequestHeader(reader, flexible ? 2 : 1);
      request = handler.readRequest(reader, version);
      ctx = { version, clientId: header.clientId, localHost: this.socket.localAddress ?? '127.0.0.1', localPort: this.socket.localPort ?? 0, remote: this.remote };
    } catch (err) {
      return this.fail('malformed', (err as Error).message, handler);
    }
    let response: unknown;
    try {
      response = await handler.handle(request, ctx, this.deps.services);
    } catch (err) {
      return this.fail('handler-failed', (err as Error).message, handler);
    }
    if (response === null || this.closed) return;
    const w = new KafkaWriter(1024);
    w.int32(0); // frame size, set below
    w.int32(correlationId);
    // ApiVersions' response header stays v0 at every version, so that any client can read it.
    if (flexible && apiKey !== API_VERSIONS_KEY) w.emptyTaggedFields();
    try {
      handler.writeResponse(w, version, response);
    } catch (err) {
      return this.fail('encode-failed', (err as Error).message, handler);
    }
    this.send(w);
  }

  /** ApiVersions at a version not served: a v0 body with UNSUPPORTED_VERSION and the versions that are. */
  private unsupportedApiVersions(correlationId: number): void {
    const w = new KafkaWriter();
    w.int32(0);
    w.int32(correlationId);
    const apiKeys = this.deps.services.apis().map(({ apiKey, versions }) => ({ apiKey, minVersion: versions.min, maxVersion: versions.max }));
    writeApiVersionsResponse(w, 0, { errorCode: KafkaError.UNSUPPORTED_VERSION, apiKeys });
    this.send(w);
  }

  private send(w: KafkaWriter): void {
    const out = w.finish();
    out.writeInt32BE(out.length - 4, 0);
    this.deps.metrics.sentBytes.inc(out.length);
    this.socket.write(out);
  }

  private fail(reason: string, message: string, handler?: AnyApiHandler): void {
    const api = handler?.name ?? 'unknown';
    this.deps.metrics.requestErrors.inc({ api, reason });
    this.deps.logger.warn('closing a kafka connection', { remote: this.remote, api, reason, error: message });
    this.closed = true;
    this.frames.length = 0;
    this.socket.destroy();
  }
}
