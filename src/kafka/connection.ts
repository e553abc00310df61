/**
 * Runs on: main thread.
 *
 * One client connection: size-prefixed frames in, one response per request out (none for
 * Produce with acks 0), in request order. Requests are handled one at a time, in the order they
 * arrived, as a Kafka broker does, except those whose handler says they may overlap (a Produce
 * issues its appends in order as it starts, so pipelined produces are appended in order while
 * the next one is already read): up to MAX_IN_FLIGHT of those run at once. Reading pauses
 * while requests queue up (MAX_QUEUED_FRAMES of them, or kafka.max_request_bytes), so a client
 * that pipelines faster than the log answers is held back by TCP, not buffered without bound.
 * Nor is a client that does not read its responses: while more than MAX_UNSENT_BYTES of them wait
 * to leave, the next request waits, so its frames queue up and reading pauses.
 *
 * A connection with no request for kafka.idle_timeout is closed, as Kafka's connections.max.idle.ms
 * does, and so is one whose responses have not moved for that long. A frame over the size limit,
 * an unknown API key, an unsupported version (except ApiVersions, answered with
 * UNSUPPORTED_VERSION and the versions served) or a malformed request closes the connection, as
 * Kafka does: the client's stream can no longer be trusted. So does a request whose answer would
 * be over kafka.max_request_bytes (Fetch excepted, which bounds its own): it is refused as it is
 * encoded, before that much memory is taken for it.
 */
import type { Socket } from 'node:net';
import { TributaryError } from '../errors.js';
import type { Logger } from '../telemetry/logger.js';
import { type AnyApiHandler, type ConnectionSession, type KafkaServices, MAX_REQUEST_ENTRIES, type RequestContext, SMALL_REQUEST_BYTES } from './api.js';
import { KafkaError } from './error-codes.js';
import { FrameAssembler } from './frame-assembler.js';
import type { FrameBudget } from './frame-budget.js';
import type { BufferPool } from '../buffer-pool.js';
import type { KafkaMetrics } from './kafka-metrics.js';
import { writeApiVersionsResponse } from './messages/api-versions-response.js';
import { readRequestHeader } from './messages/request-header.js';
import { KafkaReader } from './protocol/reader.js';
import { KafkaWriter } from './protocol/writer.js';
import { authenticatePlain } from './sasl-plain.js';

const API_VERSIONS_KEY = 18;
/** What a client may send before it has authenticated: ApiVersions and the SASL requests. */
const BEFORE_AUTHENTICATION = new Set([API_VERSIONS_KEY, 17, 36]);
/** Frames read ahead of the one being handled before the socket is paused. */
const MAX_QUEUED_FRAMES = 32;
/** Requests a connection may have started and not answered yet (see ApiHandler.concurrent). */
const MAX_IN_FLIGHT = 8;
/** Response bytes the socket may hold unsent before the next request waits for it to drain. */
const MAX_UNSENT_BYTES = 1024 * 1024;

export interface ConnectionDeps {
  registry: ReadonlyMap<number, AnyApiHandler>;
  services: KafkaServices;
  maxRequestBytes: number;
  /** Where frames are assembled; a concurrent request's frame goes back once its handler started. */
  framePool: BufferPool;
  /** Memory for frames partly received, all connections together: a frame past it waits, its connection unread. */
  frameBudget: FrameBudget;
  /** A connection with no request in hand and no bytes in or out for this long is closed. */
  idleTimeoutMs: number;
  /** kafka.advertised_listener; unset, a connection advertises the address its client connected to. */
  advertised?: { host: string; port: number };
  metrics: KafkaMetrics;
  logger: Logger;
}

/** An encoded response frame, and what to call once the socket is done with its pieces. */
interface Encoded {
  pieces: Uint8Array[];
  sent?: () => void;
}

interface Parsed {
  handler: AnyApiHandler;
  request: unknown;
  ctx: RequestContext;
  correlationId: number;
  flexible: boolean;
}

export class KafkaConnection {
  /** Resolves once every request started so far is answered (responses leave in request order). */
  private answered: Promise<void> = Promise.resolve();
  private inFlight = 0;
  private readonly assembler: FrameAssembler;
  /** Bytes of the frames read and not yet handled: with the partial frame, at most about 2 × max_request_bytes. */
  private queuedBytes = 0;
  private readonly frames: Buffer[] = [];
  private running: Promise<void> | undefined;
  private closed = false;
  /** The drain loop waits for the client to read what was sent (see writable()). */
  private waitingForClient = false;
  private readonly remote: string;
  private readonly session: ConnectionSession;

  constructor(
    private readonly socket: Socket,
    private readonly deps: ConnectionDeps,
  ) {
    this.remote = `${socket.remoteAddress}:${socket.remotePort}`;
    this.session = { authenticated: !deps.services.checkToken, rawTokenNext: false, plainHandshake: false };
    this.assembler = new FrameAssembler({
      maxFrameBytes: deps.maxRequestBytes,
      pool: deps.framePool,
      onFrame: (frame) => {
        this.frames.push(frame);
        this.queuedBytes += frame.length;
      },
      onRefused: (reason, size) =>
        this.fail(
          reason,
          reason === 'no-memory'
            ? `no memory could be had for a request of ${size} bytes`
            : `a request of ${size} bytes is over kafka.max_request_bytes (${deps.maxRequestBytes})`,
        ),
      budget: deps.frameBudget,
      onWait: () => {
        deps.metrics.partialRequestWaits.inc();
        deps.logger.debug('kafka connection waits for frame memory (kafka.max_partial_request_bytes)', { remote: this.remote });
        this.socket.pause();
      },
      onResume: () => {
        if (this.closed) return;
        if (!this.full()) this.socket.resume();
        this.kick();
      },
    });
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.received(chunk));
    socket.on('error', (err) => deps.logger.debug('kafka connection error', { remote: this.remote, error: err.message }));
    // Node's socket timeout restarts on every byte read or written; a request in hand (a Fetch
    // waiting for data) keeps the connection, and the timer is set again.
    socket.setTimeout(deps.idleTimeoutMs);
    socket.on('timeout', () => {
      // Nor is one waiting for frame memory idle: the wait is the listener's, not the client's.
      if ((this.running && !this.waitingForClient) || this.inFlight > 0 || this.assembler.waiting) {
        socket.setTimeout(deps.idleTimeoutMs);
        return;
      }
      deps.metrics.idleClosedConnections.inc();
      deps.logger.debug('closing an idle kafka connection', { remote: this.remote, idleMs: deps.idleTimeoutMs });
      this.closed = true;
      socket.destroy();
    });
    socket.on('close', () => {
      this.closed = true;
      this.frames.length = 0;
      this.assembler.release();
    });
  }

  /** Stops reading, lets the request in hand finish (up to `graceMs`), then closes the socket. */
  async close(graceMs: number): Promise<void> {
    this.closed = true;
    this.frames.length = 0;
    this.socket.pause();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all([this.running, this.answered]), new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)))]);
    clearTimeout(timer);
    this.socket.destroy();
  }

  /** Where the socket should read next, when it reads where it is told: `scratch`, or straight into a large frame. */
  readTarget(scratch: Buffer): Buffer {
    return this.assembler.readTarget(scratch);
  }

  /**
   * The next bytes read: the socket's 'data', or what a socket reading into a shared buffer
   * (read-buffer-socket.ts) read, `reused` then, as it is overwritten by the next read.
   */
  received(chunk: Buffer, reused = false): void {
    this.deps.metrics.receivedBytes.inc(chunk.length);
    if (!this.assembler.push(chunk, reused)) return;
    if (this.full()) this.socket.pause();
    this.kick();
  }

  /** Enough requests read ahead: reading pauses until the drain loop has handled some. */
  private full(): boolean {
    return this.frames.length >= MAX_QUEUED_FRAMES || this.queuedBytes >= this.deps.maxRequestBytes;
  }

  /** Starts the drain loop unless it runs; it is marked done only after the assignment (the loop may end at once). */
  private kick(): void {
    if (this.running || this.closed || this.frames.length === 0) return;
    this.running = this.drain().finally(() => {
      this.running = undefined;
      this.kick();
    });
  }

  private async drain(): Promise<void> {
    while (!this.closed && this.frames.length > 0) {
      if (this.socket.writableLength > MAX_UNSENT_BYTES) await this.writable();
      if (this.closed) break;
      const frame = this.frames.shift()!;
      this.queuedBytes -= frame.length;
      const roomy = this.frames.length < MAX_QUEUED_FRAMES / 2 && this.queuedBytes < this.deps.maxRequestBytes / 2;
      if (roomy && this.socket.isPaused() && !this.closed && !this.assembler.waiting) this.socket.resume();
      if (this.session.rawTokenNext) {
        await this.answered;
        this.rawToken(frame);
        continue;
      }
      const parsed = this.parse(frame);
      if (!parsed) continue;
      // Only a request its handler allows may start before the ones ahead of it are answered.
      const concurrent = parsed.handler.concurrent?.(parsed.request) === true;
      if (!concurrent) await this.answered;
      const response = this.execute(parsed);
      // A concurrent handler has taken what it keeps of the request as it started (ApiHandler.concurrent);
      // another may be done with it once handled. Given back once only: a frame lent again must stay lent.
      if (concurrent) this.deps.framePool.give(frame);
      else if (parsed.handler.doneWithRequestWhenHandled) void response.then(() => this.deps.framePool.give(frame));
      const previous = this.answered;
      this.inFlight++;
      this.answered = Promise.all([response, previous]).then(([out]) => {
        this.inFlight--;
        if (out && !this.closed) this.send(out.pieces, out.sent);
        else out?.sent?.();
        if (this.session.closeAfterAnswer !== undefined && !this.closed) this.endAfterAnswer(this.session.closeAfterAnswer);
      });
      if (!concurrent || this.inFlight >= MAX_IN_FLIGHT) await this.answered;
    }
  }

  /** Resolves once the socket has sent what it holds, or closed. */
  private writable(): Promise<void> {
    this.waitingForClient = true;
    return new Promise<void>((resolve) => {
      const done = () => {
        this.socket.off('drain', done);
        this.socket.off('close', done);
        this.waitingForClient = false;
        resolve();
      };
      this.socket.on('drain', done);
      this.socket.on('close', done);
    });
  }

  /** The frame's handler and request; undefined when the frame closed the connection or was answered already. */
  private parse(frame: Buffer): Parsed | undefined {
    if (frame.length < 8) return this.fail('malformed', 'a request frame shorter than its header');
    const apiKey = frame.readInt16BE(0);
    const version = frame.readInt16BE(2);
    const correlationId = frame.readInt32BE(4);
    const handler = this.deps.registry.get(apiKey);
    if (!handler) return this.fail('unknown-api', `API key ${apiKey} is not served`);
    if (!handler.largeRequests && frame.length > SMALL_REQUEST_BYTES) {
      return this.fail('frame-too-large', `a ${handler.name} request of ${frame.length} bytes is over the ${SMALL_REQUEST_BYTES} bytes any request but Produce may take`, handler);
    }
    if (!this.session.authenticated && !BEFORE_AUTHENTICATION.has(apiKey)) {
      return this.fail('unauthenticated', `${handler.name} before SASL authentication (kafka.auth is set)`, handler);
    }
    const served = version >= handler.versions.min && version <= handler.versions.max;
    // The version is the client's to choose (any int16): one series for those not served, or a client could add thousands.
    this.deps.metrics.requests.inc({ api: handler.name, version: served ? String(version) : 'unsupported' });
    if (!served) {
      if (apiKey === API_VERSIONS_KEY) {
        // Answered in turn, like any other response.
        this.answered = this.answered.then(() => this.unsupportedApiVersions(correlationId));
        return undefined;
      }
      return this.fail('unsupported-version', `${handler.name} v${version} is not served (v${handler.versions.min}-${handler.versions.max} are)`, handler);
    }
    const flexible = handler.flexibleFrom >= 0 && version >= handler.flexibleFrom;
    try {
      const reader = new KafkaReader(frame, 0, MAX_REQUEST_ENTRIES);
      const header = readRequestHeader(reader, flexible ? 2 : 1);
      const request = handler.readRequest(reader, version);
      const pool = this.deps.framePool;
      // Once taken, the frame is no longer the pool's: the connection's give() below ignores it.
      const take = () => (pool.forget(frame) ? (memory: ArrayBuffer) => pool.adopt(memory) : undefined);
      const ctx = {
        session: this.session,
        version,
        clientId: header.clientId,
        advertisedHost: this.deps.advertised?.host ?? this.socket.localAddress ?? '127.0.0.1',
        advertisedPort: this.deps.advertised?.port ?? this.socket.localPort ?? 0,
        remote: this.remote,
        frame: { take },
      };
      return { handler, request, ctx, correlationId, flexible };
    } catch (err) {
      if (err instanceof TributaryError && err.code === 'PAYLOAD_TOO_LARGE') return this.fail('too-many-entries', `a ${handler.name} request: ${err.message}`, handler);
      return this.fail('malformed', (err as Error).message, handler);
    }
  }

  /** Runs the handler and encodes its response frame; null when there is none to send. Never rejects. */
  private async execute({ handler, request, ctx, correlationId, flexible }: Parsed): Promise<Encoded | null> {
    let response: unknown;
    try {
      response = await handler.handle(request, ctx, this.deps.services);
    } catch (err) {
      this.fail('handler-failed', (err as Error).message, handler);
      return null;
    }
    if (response === null) return null;
    const sent = handler.sent && (() => handler.sent?.(response, this.deps.services));
    // An answer is held to the limit on requests: past it the connection is closed, as for a frame
    // over it; clients cannot read more than about that either (librdkafka's receive.message.max.bytes).
    const w = new KafkaWriter(1024, handler.boundsItsAnswer ? Number.POSITIVE_INFINITY : this.deps.maxRequestBytes);
    w.int32(0); // frame size, set below
    w.int32(correlationId);
    // ApiVersions' response header stays v0 at every version, so that any client can read it.
    if (flexible && handler.apiKey !== API_VERSIONS_KEY) w.emptyTaggedFields();
    try {
      handler.writeResponse(w, ctx.version, response);
    } catch (err) {
      if (err instanceof TributaryError && err.code === 'PAYLOAD_TOO_LARGE') {
        this.fail('response-too-large', `the ${handler.name} answer would be over kafka.max_request_bytes (${this.deps.maxRequestBytes} bytes)`, handler);
      } else this.fail('encode-failed', (err as Error).message, handler);
      sent?.();
      return null;
    }
    w.patchInt32AtStart(w.length - 4);
    return { pieces: w.chunks(), sent };
  }

  /** The bare SASL/PLAIN token after a SaslHandshake v0: an empty frame answers success; a failure closes. */
  private rawToken(frame: Buffer): void {
    this.session.rawTokenNext = false;
    const failure = authenticatePlain(frame, this.session, this.deps.services);
    if (failure) {
      this.fail('unauthenticated', failure);
      return;
    }
    this.send([Buffer.alloc(4)]);
  }

  /** ApiVersions at a version not served: a v0 body with UNSUPPORTED_VERSION and the versions that are. */
  private unsupportedApiVersions(correlationId: number): void {
    const w = new KafkaWriter();
    w.int32(0);
    w.int32(correlationId);
    const apiKeys = this.deps.services.apis().map(({ apiKey, versions }) => ({ apiKey, minVersion: versions.min, maxVersion: versions.max }));
    writeApiVersionsResponse(w, 0, { errorCode: KafkaError.UNSUPPORTED_VERSION, apiKeys });
    w.patchInt32AtStart(w.length - 4);
    if (!this.closed) this.send(w.chunks());
  }

  /**
   * One response frame, its pieces gathered into one write (record batches are not copied into
   * it); `sent` runs once the socket is done with them (written, or failed).
   */
  private send(pieces: Uint8Array[], sent?: () => void): void {
    let bytes = 0;
    if (pieces.length > 1) this.socket.cork();
    for (let i = 0; i < pieces.length; i++) {
      bytes += pieces[i].length;
      this.socket.write(pieces[i], i === pieces.length - 1 ? sent : undefined);
    }
    if (pieces.length > 1) this.socket.uncork();
    this.deps.metrics.sentBytes.inc(bytes);
  }

  /** Closes once what was sent is written (a refused token's answer): no request after it is read. */
  private endAfterAnswer(message: string): void {
    this.deps.metrics.requestErrors.inc({ api: 'SaslAuthenticate', reason: 'unauthenticated' });
    this.deps.logger.warn('closing a kafka connection', { remote: this.remote, api: 'SaslAuthenticate', reason: 'unauthenticated', error: message });
    this.closed = true;
    this.frames.length = 0;
    // Destroyed once the answer is written, whether or not the client ends its side.
    this.socket.end(() => this.socket.destroy());
  }

  private fail(reason: string, message: string, handler?: AnyApiHandler): undefined {
    const api = handler?.name ?? 'unknown';
    this.deps.metrics.requestErrors.inc({ api, reason });
    this.deps.logger.warn('closing a kafka connection', { remote: this.remote, api, reason, error: message });
    this.closed = true;
    this.frames.length = 0;
    this.socket.destroy();
    return undefined;
  }
}
