// Runs on: main thread and broker threads.

/**
 * Bounds of what the embedded log's storage can hold, shared by the config schema, the admin API,
 * the controller (which checks them before it persists anything) and the partition log: a value
 * one of them accepted must never be refused by another later, at the next start.
 */

/** Positions in a segment and its index are uint32; Kafka caps segment.bytes at 2 GiB - 1 too. */
export const MAX_SEGMENT_BYTES = 2 ** 31 - 1;
/** Smaller segments would roll on almost every batch. */
export const MIN_SEGMENT_BYTES = 1024;
/** Kafka's default limit on one topic's partitions is in the same range. */
export const MAX_PARTITIONS_PER_TOPIC = 10_000;

/** A retention of -1 keeps records however old or large the log grows, as Kafka's `retention.ms`/`retention.bytes` -1. */
export const UNLIMITED_RETENTION = -1;

/** What each topic setting may be; the defaults under `log:` in the config are bounded alike. */
const TOPIC_SETTING_RANGES = {
  segmentBytes: [MIN_SEGMENT_BYTES, MAX_SEGMENT_BYTES],
  segmentMs: [1, Number.MAX_SAFE_INTEGER],
  retentionBytes: [UNLIMITED_RETENTION, Number.MAX_SAFE_INTEGER],
  retentionMs: [UNLIMITED_RETENTION, Number.MAX_SAFE_INTEGER],
} as const;

/** Kafka's Long.MAX_VALUE (2^63 - 1) as a number reads it, from JSON, YAML or text: 2^63, the nearest one. */
const LONG_MAX_AS_NUMBER = 2 ** 63;

/**
 * A topic's age or size as Kafka's longs: past 2^53 - 1 up to Long.MAX_VALUE (what Kafka configs
 * give to keep a topic for ever, Debezium's history topic's `retention.ms`), `value` is kept as
 * 2^53 - 1, which a number holds exactly and which, as milliseconds (285,000 years) or bytes, is
 * as good as no limit; a number cannot hold the long exactly, and the log would refuse it. The
 * admin API, the config and CreateTopics all read such a value so. Anything else is as it is.
 */
export function keptAsSafeLong(value: unknown): unknown {
  return typeof value === 'number' && value > Number.MAX_SAFE_INTEGER && value <= LONG_MAX_AS_NUMBER ? Number.MAX_SAFE_INTEGER : value;
}

export type TopicSettingKey = keyof typeof TOPIC_SETTING_RANGES;

export const TOPIC_SETTING_KEYS = Object.keys(TOPIC_SETTING_RANGES) as TopicSettingKey[];

/** Why `value` cannot be the topic setting `key`; undefined when it can. */
export function topicSettingProblem(key: TopicSettingKey, value: unknown): string | undefined {
  const [min, max] = TOPIC_SETTING_RANGES[key];
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= min && value <= max) return undefined;
  return `${key} must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`;
}
