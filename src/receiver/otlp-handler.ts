// Runs on: main thread.
import type { HttpBindings } from '@hono/node-server';
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { asTributaryError, TributaryError } from '../errors.js';
import type { LogBackend } from '../log/backend.js';
import type { ContentEncoding } from '../otlp/decompress.js';
import { encodeExportResponse, type WireFormat } from '../otlp/responses.js';
import type { Signal, SignalTopics, TopicKind } from '../otlp/signals.js';
import type { Logger } from '../telemetry/logger.js';
import { heldBack, LogThrottle } from '../telemetry/log-throttle.js';
import type { ByteBudget } from './byte-budget.js';
import { contentTypeOf, errorReply } from './error-response.js';
import type { IngestPool } from './ingest-pool.js';
import type { ReceiverMetrics } from './receiver-metrics.js';
import { declaredSize, type ReadStopper, readBody } from './request-body.js';
import type { SharedSlabs } from './shared-slabs.js';

export interface HandlerDeps {
  backend: LogBackend;
  topics: SignalTopics;
  pool: IngestPool;
  /** Memory for bodies and encoded batches, shared with the ingest workers and reused. */
  slabs: SharedSlabs;
  metrics: ReceiverMetrics;
  budget: ByteBudget;
  logger: Logger;
  maxRequestBytes: number;
  requestTimeoutMs: number;
  maxBatchBytes: number;
  maxWriteAmplification: number;
  maxWriteBytes: number;
  /** Set by shutdown: responses then close their connection, so keep-alive ones do not hold it up. */
  closing: boolean;
  /** Checks the Authorization header; undefined when auth is off. */
  authenticate?: (header: string | undefined) => { ok: boolean; tenant?: string };
}

type OtlpContext = Context<{ Bindings: HttpBindings }>;

const TOPIC_KINDS_OF: Readonly<Record<Signal, TopicKind[]>> = { traces: ['traces'], metrics: ['metrics'], logs: ['logs', 'events'] };
const CONTENT_TYPES: Readonly<Record<string, WireFormat>> = {
  'application/x-protobuf': 'protobuf',
  'application/protobuf': 'protobuf',
  'application/json': 'json',
};
const CONTENT_ENCODINGS: Readonly<Record<string, ContentEncoding>> = {
  '': 'identity',
  identity: 'identity',
  gzip: 'gzip',
  'x-gzip': 'gzip',
  deflate: 'deflate',
  // What the Collector's otlphttp exporter sends for its `zlib` compression: deflate by HTTP's name.
  zlib: 'deflate',
  zstd: 'zstd',
  snappy: 'snappy',
  'x-snappy-framed': 'snappy',
  lz4: 'lz4',
};

/** POST /v1/{traces,metrics,logs}: stores the request's records, then answers in its encoding. */
export function createOtlpHandler(deps: HandlerDeps, signal: Signal) {
  const { metrics } = deps;
  // A full disk or a log gone fails every request alike: one line per kind of failure per interval.
  const failures = new LogThrottle();
  return async (c: OtlpContext): Promise<Response> => {
    const started = performance.now();
    const answer = (body: Uint8Array | string, code: ContentfulStatusCode, headers: Record<string, string>) => {
      // Decided as the answer goes out: a request that began before shutdown closes its connection
      // too, instead of holding the server's close for a keep-alive timeout.
      if (deps.closing) c.header('connection', 'close');
      return c.body(body as Uint8Array<ArrayBuffer> | string, code, headers);
    };
    // Until the content type is known, errors are answered in JSON: readable with curl.
    let format: WireFormat = 'json';
    let status = 500;
    try {
      const contentType = c.req.header('content-type') ?? '';
      const requested = CONTENT_TYPES[contentType.split(';')[0].trim().toLowerCase()];
      if (!requested) {
        throw new TributaryError('UNSUPPORTED_MEDIA_TYPE', `unsupported content type "${contentType}": expected application/x-protobuf or application/json`);
      }
      format = requested;
      const contentEncoding = c.req.header('content-encoding') ?? '';
      const encoding = CONTENT_ENCODINGS[contentEncoding.trim().toLowerCase()];
      if (!encoding) throw new TributaryError('UNSUPPORTED_MEDIA_TYPE', `unsupported content encoding "${contentEncoding}": expected gzip, deflate, zlib, zstd, snappy, x-snappy-framed, lz4, identity, or no Content-Encoding header`);
      const auth = deps.authenticate?.(c.req.header('authorization'));
      if (auth && !auth.ok) throw new TributaryError('UNAUTHENTICATED', 'a valid bearer token is required');
      const body = await withTimeout((stopper) => store(deps, signal, c.env, format, encoding, auth?.tenant, stopper), deps.requestTimeoutMs);
      status = 200;
      return answer(body, 200, { 'content-type': contentTypeOf(format) });
    } catch (err) {
      const error = asTributaryError(err);
      const reply = errorReply(error, format);
      status = reply.status;
      const held = status >= 500 ? failures.allow(`${status} ${error.code}`) : undefined;
      if (held !== undefined) deps.logger.warn('request failed', { signal, status, code: error.code, error, ...heldBack(held) });
      c.env.incoming.resume(); // drop what is left of the body, so the connection can be reused
      return answer(reply.body, status as ContentfulStatusCode, reply.headers);
    } finally {
      metrics.requests.inc({ signal, status: String(status) });
      metrics.duration.observe({ signal }, (performance.now() - started) / 1000);
    }
  };
}

async function store(
  deps: HandlerDeps,
  signal: Signal,
  { incoming, outgoing }: HttpBindings,
  format: WireFormat,
  encoding: ContentEncoding,
  tenant: string | undefined,
  stopper: ReadStopper | undefined,
): Promise<Uint8Array | string> {
  const partitions: Partial<Record<TopicKind, number>> = {};
  for (const kind of TOPIC_KINDS_OF[signal]) {
    const count = deps.backend.partitionCount(deps.topics[kind]);
    if (count === undefined) throw new TributaryError('UNKNOWN_TOPIC', `topic ${deps.topics[kind]} does not exist`, { retriable: true });
    partitions[kind] = count;
  }
  // A declared size is counted before the read (its memory is taken at once); a chunked body as it arrives.
  const declared = declaredSize(incoming, deps.maxRequestBytes) ?? 0;
  if (!deps.budget.tryAdd(declared)) {
    throw new TributaryError('OVERLOADED', 'too many bytes in flight (receiver.max_inflight_bytes); retry later', { retriable: true });
  }
  let held = declared;
  const reserve = (bytes: number) => {
    if (!deps.budget.tryAdd(bytes, held)) return false;
    held += bytes;
    return true;
  };
  let body: Uint8Array | undefined;
  let output: SharedArrayBuffer | undefined;
  try {
    // The headers passed every check: a client waiting on `Expect: 100-continue` may send its body.
    if (incoming.headers.expect?.toLowerCase() === '100-continue') outgoing.writeContinue();
    body = await readBody(incoming, { limit: deps.maxRequestBytes, allocate: (size) => deps.slabs.take(size), reserve, stopper });
    const receivedAt = Date.now();
    deps.metrics.bytes.inc({ signal }, body.length);
    output = deps.slabs.takeSlab(outputEstimate(body.length, format, encoding, deps.maxRequestBytes));
    const result = await deps.pool.run({
      signal,
      format,
      encoding,
      body,
      output,
      maxBytes: deps.maxRequestBytes,
      partitions,
      receivedAt,
      tenant,
      maxBatchBytes: deps.maxBatchBytes,
      maxWriteAmplification: deps.maxWriteAmplification,
      maxWriteBytes: deps.maxWriteBytes,
    });
    deps.slabs.release(body.buffer);
    body = undefined;
    const { buffer, batches } = result;
    const encoded = batches.reduce((n, b) => n + b.length, 0);
    deps.budget.add(encoded);
    held += encoded;
    await Promise.all(batches.map((b) => deps.backend.produceBatch(deps.topics[b.topic], b.partition, new Uint8Array(buffer, b.offset, b.length))));
    for (const [kind, n] of Object.entries(result.accepted)) deps.metrics.items.inc({ signal: kind }, n);
    return encodeExportResponse(signal, result.rejected, result.rejectionMessage, format);
  } finally {
    // Only now is no thread reading or writing them (a timed-out request still gets here).
    deps.slabs.release(body?.buffer);
    deps.slabs.release(output);
    deps.budget.add(-held);
  }
}

/**
 * Room for the encoded batches: protobuf grows by the resource and scope copied into each record
 * and the record framing; compressed bodies by their ratio, guessed. A guess too small costs the
 * worker a buffer of its own, nothing else.
 */
function outputEstimate(bodyBytes: number, format: WireFormat, encoding: ContentEncoding, maxBytes: number): number {
  const decoded = encoding === 'identity' ? bodyBytes : Math.min(maxBytes, bodyBytes * 8);
  return (format === 'json' ? decoded : decoded * 2) + 64 * 1024;
}

/**
 * Answers 503 past `receiver.request_timeout`. A body still arriving then is no longer read, so its
 * bytes are released at once; work past the body still finishes (and frees its bytes).
 */
function withTimeout<T>(work: (stopper: ReadStopper | undefined) => Promise<T>, ms: number): Promise<T> {
  if (ms <= 0) return work(undefined);
  const stopper: ReadStopper = {};
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new TributaryError('TIMEOUT', `the request was not received and stored within ${ms} ms (receiver.request_timeout)`, { retriable: true });
      stopper.stop?.(error);
      reject(error);
    }, ms);
  });
  const running = work(stopper);
  running.catch(() => {});
  return Promise.race([running, timeout]).finally(() => clearTimeout(timer));
}
