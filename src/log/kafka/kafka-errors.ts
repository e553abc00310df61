/**
 * Runs on: main thread. librdkafka's errors as TributaryErrors: the codes callers switch on, and
 * Kafka's own view of what is retriable (so the receiver answers 503 with Retry-After for them).
 */
import { type ErrorCode, TributaryError } from '../../errors.js';
import type { KafkaClientModule, LibrdKafkaError } from './client-types.js';

/** librdkafka error names (CODES.ERRORS) and what they mean here. */
const BY_NAME: Readonly<Record<string, { code: ErrorCode; retriable: boolean }>> = {
  ERR_UNKNOWN_TOPIC_OR_PART: { code: 'UNKNOWN_TOPIC', retriable: false },
  ERR__UNKNOWN_TOPIC: { code: 'UNKNOWN_TOPIC', retriable: false },
  ERR__UNKNOWN_PARTITION: { code: 'UNKNOWN_PARTITION', retriable: false },
  ERR_OFFSET_OUT_OF_RANGE: { code: 'OFFSET_OUT_OF_RANGE', retriable: false },
  ERR_MSG_SIZE_TOO_LARGE: { code: 'RECORD_TOO_LARGE', retriable: false },
  ERR_RECORD_LIST_TOO_LARGE: { code: 'RECORD_TOO_LARGE', retriable: false },
  ERR_INVALID_MSG_SIZE: { code: 'RECORD_TOO_LARGE', retriable: false },
  ERR_INVALID_RECORD: { code: 'INVALID_RECORD', retriable: false },
  ERR_INVALID_MSG: { code: 'CORRUPT_RECORD', retriable: true },
  ERR_TOPIC_ALREADY_EXISTS: { code: 'TOPIC_EXISTS', retriable: false },
  ERR_TOPIC_EXCEPTION: { code: 'INVALID_TOPIC', retriable: false },
  ERR_INVALID_PARTITIONS: { code: 'INVALID_TOPIC', retriable: false },
  ERR_INVALID_REPLICATION_FACTOR: { code: 'INVALID_TOPIC', retriable: false },
  ERR_POLICY_VIOLATION: { code: 'INVALID_TOPIC', retriable: false },
  ERR_ILLEGAL_GENERATION: { code: 'ILLEGAL_GENERATION', retriable: false },
  ERR_UNKNOWN_MEMBER_ID: { code: 'UNKNOWN_MEMBER', retriable: false },
  ERR_REBALANCE_IN_PROGRESS: { code: 'REBALANCE_IN_PROGRESS', retriable: true },
  ERR_NON_EMPTY_GROUP: { code: 'GROUP_NOT_EMPTY', retriable: false },
  ERR_GROUP_ID_NOT_FOUND: { code: 'UNKNOWN_GROUP', retriable: false },
  ERR_NOT_LEADER_FOR_PARTITION: { code: 'NOT_LEADER', retriable: true },
  ERR_LEADER_NOT_AVAILABLE: { code: 'NOT_LEADER', retriable: true },
  ERR_NOT_ENOUGH_REPLICAS: { code: 'BROKER_UNAVAILABLE', retriable: true },
  ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND: { code: 'BROKER_UNAVAILABLE', retriable: true },
  ERR_KAFKA_STORAGE_ERROR: { code: 'BROKER_UNAVAILABLE', retriable: true },
  ERR__TRANSPORT: { code: 'BROKER_UNAVAILABLE', retriable: true },
  ERR__ALL_BROKERS_DOWN: { code: 'BROKER_UNAVAILABLE', retriable: true },
  ERR__QUEUE_FULL: { code: 'OVERLOADED', retriable: true },
  ERR__TIMED_OUT: { code: 'TIMEOUT', retriable: true },
  ERR__MSG_TIMED_OUT: { code: 'TIMEOUT', retriable: true },
  ERR_REQUEST_TIMED_OUT: { code: 'TIMEOUT', retriable: true },
  ERR__DESTROY: { code: 'SHUTTING_DOWN', retriable: true },
  // A producer that failed fatally: a new one takes over (kafka-producer.ts).
  ERR__FATAL: { code: 'BROKER_UNAVAILABLE', retriable: true },
  ERR__UNSUPPORTED_FEATURE: { code: 'UNSUPPORTED_BY_CLUSTER', retriable: false },
  ERR_UNSUPPORTED_VERSION: { code: 'UNSUPPORTED_BY_CLUSTER', retriable: false },
  ERR__AUTHENTICATION: { code: 'BROKER_UNAVAILABLE', retriable: true },
  ERR_SASL_AUTHENTICATION_FAILED: { code: 'BROKER_UNAVAILABLE', retriable: true },
};

/** Maps librdkafka's numeric codes, resolved once from the loaded client. */
export class KafkaErrors {
  private readonly byNumber = new Map<number, { code: ErrorCode; retriable: boolean; name: string }>();

  constructor(client: KafkaClientModule) {
    for (const [name, mapping] of Object.entries(BY_NAME)) {
      const n = client.CODES.ERRORS[name];
      if (n !== undefined) this.byNumber.set(n, { ...mapping, name });
    }
  }

  /** `what` says which call failed ("produce to otlp_spans[3]"). */
  wrap(err: unknown, what: string): TributaryError {
    if (err instanceof TributaryError) return err;
    const e = err as Partial<LibrdKafkaError>;
    const known = typeof e?.code === 'number' ? this.byNumber.get(e.code) : undefined;
    const message = `${what}: ${e?.message ?? String(err)}`;
    if (known) return new TributaryError(known.code, message, { retriable: known.retriable || e.isRetriable === true, cause: err, details: { kafkaError: known.name } });
    // Nobody classified it: retried rather than treated as permanent, unless Kafka says it is fatal.
    return new TributaryError('BROKER_UNAVAILABLE', message, { retriable: e?.isFatal !== true, cause: err });
  }

  /** True when `err` is librdkafka's error of that name. */
  is(err: unknown, name: string): boolean {
    const code = (err as Partial<LibrdKafkaError>)?.code;
    return typeof code === 'number' && this.byNumber.get(code)?.name === name;
  }
}
