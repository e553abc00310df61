/**
 * Runs on: main thread.
 *
 * Kafka's protocol error codes that Tributary answers with, and how a TributaryError maps onto
 * them. Clients decide from the code whether to retry, so a retriable condition must map to a
 * code Kafka clients treat as retriable.
 */
import { asTributaryError } from '../errors.js';

export const KafkaError = {
  UNKNOWN_SERVER_ERROR: -1,
  NONE: 0,
  OFFSET_OUT_OF_RANGE: 1,
  CORRUPT_MESSAGE: 2,
  UNKNOWN_TOPIC_OR_PARTITION: 3,
  LEADER_NOT_AVAILABLE: 5,
  NOT_LEADER_OR_FOLLOWER: 6,
  REQUEST_TIMED_OUT: 7,
  MESSAGE_TOO_LARGE: 10,
  OFFSET_METADATA_TOO_LARGE: 12,
  COORDINATOR_NOT_AVAILABLE: 15,
  INVALID_TOPIC_EXCEPTION: 17,
  ILLEGAL_GENERATION: 22,
  INCONSISTENT_GROUP_PROTOCOL: 23,
  INVALID_GROUP_ID: 24,
  UNKNOWN_MEMBER_ID: 25,
  INVALID_SESSION_TIMEOUT: 26,
  REBALANCE_IN_PROGRESS: 27,
  INVALID_TIMESTAMP: 32,
  UNSUPPORTED_SASL_MECHANISM: 33,
  ILLEGAL_SASL_STATE: 34,
  UNSUPPORTED_VERSION: 35,
  TOPIC_ALREADY_EXISTS: 36,
  INVALID_PARTITIONS: 37,
  INVALID_REPLICATION_FACTOR: 38,
  INVALID_REPLICA_ASSIGNMENT: 39,
  INVALID_CONFIG: 40,
  INVALID_REQUEST: 42,
  POLICY_VIOLATION: 44,
  KAFKA_STORAGE_ERROR: 56,
  TRANSACTIONAL_ID_AUTHORIZATION_FAILED: 53,
  SASL_AUTHENTICATION_FAILED: 58,
  NON_EMPTY_GROUP: 68,
  GROUP_ID_NOT_FOUND: 69,
  UNSUPPORTED_FOR_MESSAGE_FORMAT: 43,
  UNSUPPORTED_COMPRESSION_TYPE: 76,
  FENCED_INSTANCE_ID: 82,
  UNKNOWN_TOPIC_ID: 100,
  INVALID_RECORD: 87,
} as const;

/** The Kafka error code for a failure; `group` picks the codes of the group APIs where they differ. */
export function kafkaErrorCode(err: unknown, scope: 'log' | 'group' = 'log'): number {
  const e = asTributaryError(err);
  switch (e.code) {
    case 'UNKNOWN_TOPIC':
    case 'UNKNOWN_PARTITION':
      return KafkaError.UNKNOWN_TOPIC_OR_PARTITION;
    case 'INVALID_TOPIC':
      return KafkaError.INVALID_TOPIC_EXCEPTION;
    case 'TOPIC_EXISTS':
      return KafkaError.TOPIC_ALREADY_EXISTS;
    // The gateway's own topics (src/topic-guard.ts): Kafka's answer when a broker's policy refuses.
    case 'RECEIVER_TOPIC':
    case 'PIPELINE_TOPIC':
      return KafkaError.POLICY_VIOLATION;
    case 'INVALID_PARTITIONS':
      return KafkaError.INVALID_PARTITIONS;
    case 'INVALID_CONFIG':
      return KafkaError.INVALID_CONFIG;
    case 'OFFSET_OUT_OF_RANGE':
      return KafkaError.OFFSET_OUT_OF_RANGE;
    case 'RECORD_TOO_LARGE':
      return KafkaError.MESSAGE_TOO_LARGE;
    case 'INVALID_RECORD':
      if (e.details?.problem === 'timestamp') return KafkaError.INVALID_TIMESTAMP;
      return e.details?.problem === 'bad-crc' ? KafkaError.CORRUPT_MESSAGE : KafkaError.INVALID_RECORD;
    case 'UNSUPPORTED_MESSAGE_FORMAT':
      return KafkaError.UNSUPPORTED_FOR_MESSAGE_FORMAT;
    case 'UNSUPPORTED_COMPRESSION':
      return KafkaError.UNSUPPORTED_COMPRESSION_TYPE;
    case 'CORRUPT_RECORD':
      return KafkaError.CORRUPT_MESSAGE;
    case 'NOT_LEADER':
      return KafkaError.NOT_LEADER_OR_FOLLOWER;
    case 'STORAGE_ERROR':
      return KafkaError.KAFKA_STORAGE_ERROR;
    case 'TIMEOUT':
    case 'OVERLOADED':
      return KafkaError.REQUEST_TIMED_OUT;
    case 'BROKER_UNAVAILABLE':
    case 'SHUTTING_DOWN':
      return scope === 'group' ? KafkaError.COORDINATOR_NOT_AVAILABLE : KafkaError.LEADER_NOT_AVAILABLE;
    case 'UNKNOWN_GROUP':
      return KafkaError.GROUP_ID_NOT_FOUND;
    case 'UNKNOWN_MEMBER':
      return KafkaError.UNKNOWN_MEMBER_ID;
    case 'FENCED_INSTANCE':
      return KafkaError.FENCED_INSTANCE_ID;
    case 'ILLEGAL_GENERATION':
      return KafkaError.ILLEGAL_GENERATION;
    case 'REBALANCE_IN_PROGRESS':
      return KafkaError.REBALANCE_IN_PROGRESS;
    case 'INCONSISTENT_GROUP_PROTOCOL':
      return KafkaError.INCONSISTENT_GROUP_PROTOCOL;
    case 'GROUP_NOT_EMPTY':
      return KafkaError.NON_EMPTY_GROUP;
    case 'INVALID_REQUEST':
      return scope === 'group' ? KafkaError.INVALID_GROUP_ID : KafkaError.INVALID_REQUEST;
    default:
      // A failure nobody classified (a bug, an error of the platform's) is retried, as everywhere
      // in Tributary: UNKNOWN_SERVER_ERROR would make clients give up on the request.
      if (e.retriable) return scope === 'group' ? KafkaError.COORDINATOR_NOT_AVAILABLE : KafkaError.REQUEST_TIMED_OUT;
      return KafkaError.UNKNOWN_SERVER_ERROR;
  }
}
