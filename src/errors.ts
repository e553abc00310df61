// Runs on: any thread (shared code with no thread of its own).
/**
 * Every failure Tributary reports is a TributaryError: a stable `code` that callers switch on,
 * a `retriable` flag that tells a client whether the same call may succeed later, and the
 * underlying `cause`. HTTP statuses are chosen only at the edges (receiver, admin).
 */
export type ErrorCode =
  | 'CONFIG_INVALID'
  | 'UNKNOWN_TOPIC'
  | 'TOPIC_EXISTS'
  | 'INVALID_TOPIC'
  /** A topic the receiver writes to (`receiver.topics`), which cannot be deleted. */
  | 'RECEIVER_TOPIC'
  /** A topic a pipeline reads or dead-letters to, which cannot be deleted while it does. */
  | 'PIPELINE_TOPIC'
  | 'UNKNOWN_PARTITION'
  | 'OFFSET_OUT_OF_RANGE'
  | 'RECORD_TOO_LARGE'
  | 'INVALID_RECORD'
  | 'BROKER_UNAVAILABLE'
  | 'NOT_LEADER'
  | 'CORRUPT_RECORD'
  | 'STORAGE_ERROR'
  | 'TIMEOUT'
  | 'SHUTTING_DOWN'
  | 'UNKNOWN_GROUP'
  | 'UNKNOWN_MEMBER'
  | 'FENCED_INSTANCE'
  | 'ILLEGAL_GENERATION'
  | 'REBALANCE_IN_PROGRESS'
  | 'GROUP_NOT_EMPTY'
  | 'INCONSISTENT_GROUP_PROTOCOL'
  | 'UNSUPPORTED_COMPRESSION'
  | 'UNSUPPORTED_MESSAGE_FORMAT'
  | 'INVALID_CONFIG'
  | 'INVALID_PARTITIONS'
  | 'INVALID_REQUEST'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNAUTHENTICATED'
  | 'CROSS_ORIGIN'
  /** A request to a loopback-only admin API naming another host (DNS rebinding). */
  | 'HOST_NOT_ALLOWED'
  | 'OVERLOADED'
  | 'SINK_REJECTED'
  | 'SINK_UNAVAILABLE'
  | 'UNKNOWN_PIPELINE'
  | 'PIPELINE_EXISTS'
  /** As many subscriptions as `sinks.max_subscriptions` allows exist already. */
  | 'PIPELINE_LIMIT'
  /** A pipeline from the config file, which only the file changes. */
  | 'PIPELINE_READ_ONLY'
  /** A process whose role runs no pipelines (`--role ingest`). */
  | 'NO_PIPELINES_HERE'
  /** The log's cluster lacks the API an answer needs (an Apache Kafka broker too old, a mock). */
  | 'UNSUPPORTED_BY_CLUSTER'
  | 'INTERNAL';

export interface ErrorOptions {
  retriable?: boolean;
  cause?: unknown;
  details?: Record<string, unknown>;
}

export class TributaryError extends Error {
  readonly code: ErrorCode;
  readonly retriable: boolean;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: ErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retriable = options.retriable ?? false;
    this.details = options.details;
  }

  /** A plain object that survives structured clone (worker threads) and JSON. */
  toJSON(): SerializedError {
    return { code: this.code, message: this.message, retriable: this.retriable, details: this.details };
  }

  static fromJSON(e: SerializedError): TributaryError {
    return new TributaryError(e.code, e.message, { retriable: e.retriable, details: e.details });
  }
}

export interface SerializedError {
  code: ErrorCode;
  message: string;
  retriable: boolean;
  details?: Record<string, unknown>;
}

export class ConfigError extends TributaryError {
  constructor(message: string, options: ErrorOptions = {}) {
    super('CONFIG_INVALID', message, options);
  }
}

/**
 * Wraps anything thrown into a TributaryError, keeping the original as its cause. Nobody
 * classified such an error, so it counts as retriable: only an error its thrower marked
 * permanent (`retriable: false`) is treated as one.
 */
export function asTributaryError(err: unknown): TributaryError {
  if (err instanceof TributaryError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new TributaryError('INTERNAL', message, { cause: err, retriable: true });
}
