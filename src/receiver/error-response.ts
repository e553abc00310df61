// Runs on: main thread.
import type { ErrorCode, TributaryError } from '../errors.js';
import { encodeStatus, RPC_CODE, type WireFormat } from '../otlp/responses.js';

/** Seconds a client is asked to wait before retrying a 429 or 503. */
export const RETRY_AFTER_SECONDS = 1;

interface Mapping {
  status: number;
  rpc: number;
  retryAfter?: boolean;
}

/** HTTP statuses of the OTLP specification, chosen here at the edge from the error's code. */
const BY_CODE: Partial<Record<ErrorCode, Mapping>> = {
  INVALID_REQUEST: { status: 400, rpc: RPC_CODE.INVALID_ARGUMENT },
  UNAUTHENTICATED: { status: 401, rpc: RPC_CODE.UNAUTHENTICATED },
  PAYLOAD_TOO_LARGE: { status: 413, rpc: RPC_CODE.INVALID_ARGUMENT },
  RECORD_TOO_LARGE: { status: 413, rpc: RPC_CODE.INVALID_ARGUMENT },
  // A record the log refuses as it is (Kafka's INVALID_RECORD: a compacted topic wants keys): sent again, it is refused again.
  INVALID_RECORD: { status: 400, rpc: RPC_CODE.INVALID_ARGUMENT },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, rpc: RPC_CODE.INVALID_ARGUMENT },
  OVERLOADED: { status: 429, rpc: RPC_CODE.RESOURCE_EXHAUSTED, retryAfter: true },
  BROKER_UNAVAILABLE: { status: 503, rpc: RPC_CODE.UNAVAILABLE, retryAfter: true },
  NOT_LEADER: { status: 503, rpc: RPC_CODE.UNAVAILABLE, retryAfter: true },
  TIMEOUT: { status: 503, rpc: RPC_CODE.UNAVAILABLE, retryAfter: true },
  SHUTTING_DOWN: { status: 503, rpc: RPC_CODE.UNAVAILABLE, retryAfter: true },
  UNKNOWN_TOPIC: { status: 503, rpc: RPC_CODE.UNAVAILABLE, retryAfter: true },
  // Disk full, no file descriptors left: the data is fine and the log takes it once that passes.
  STORAGE_ERROR: { status: 503, rpc: RPC_CODE.UNAVAILABLE, retryAfter: true },
};

const INTERNAL: Mapping = { status: 500, rpc: RPC_CODE.INTERNAL };
/** Any other error marked retriable: OTLP exporters retry 503, and drop the data on a 500. */
const UNAVAILABLE: Mapping = { status: 503, rpc: RPC_CODE.UNAVAILABLE, retryAfter: true };

export interface ErrorReply {
  status: number;
  body: Uint8Array | string;
  headers: Record<string, string>;
}

/** A google.rpc.Status body in the request's encoding, with Retry-After where retrying helps. */
export function errorReply(err: TributaryError, format: WireFormat): ErrorReply {
  const mapping = BY_CODE[err.code] ?? (err.retriable ? UNAVAILABLE : INTERNAL);
  const headers: Record<string, string> = { 'content-type': contentTypeOf(format) };
  if (mapping.retryAfter) headers['retry-after'] = String(RETRY_AFTER_SECONDS);
  if (mapping.status === 401) headers['www-authenticate'] = 'Bearer';
  const message = mapping === INTERNAL ? 'internal error' : err.message;
  return { status: mapping.status, body: encodeStatus(mapping.rpc, message, format), headers };
}

export function contentTypeOf(format: WireFormat): string {
  return format === 'json' ? 'application/json' : 'application/x-protobuf';
}
