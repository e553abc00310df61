// Runs on: any thread (shared code with no thread of its own).
/** Records, topics and partitions as every log backend speaks of them (Kafka's vocabulary). */

export interface RecordHeader {
  key: string;
  value: Buffer;
}

export interface ProducerRecord {
  key?: Uint8Array | null;
  value: Uint8Array | null;
  headers?: { key: string; value: Uint8Array | string }[];
  /** Milliseconds since the epoch; the append time when absent. */
  timestamp?: number;
}

/**
 * A record as read from the log (made as a RecordView, src/log/record-view.ts). `key` and `value`
 * make a Buffer on each read; what only needs the bytes reads them where they lie:
 * `valueBytes[valueStart, valueStart + valueSize)`, likewise for the key, a size of -1 for null.
 */
export interface ConsumedRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly timestamp: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: RecordHeader[];
  readonly keyBytes: Buffer;
  readonly keyStart: number;
  readonly keySize: number;
  readonly valueBytes: Buffer;
  readonly valueStart: number;
  readonly valueSize: number;
  /** This record with another value, the rest unchanged. */
  withValue(value: Uint8Array | null): ConsumedRecord;
}

export type Acks = 0 | 1;

export interface ProduceOptions {
  /** 1 (default): resolve once the leader has written the batch; 0: resolve once it was handed over. */
  acks?: Acks;
}

export interface ProduceResult {
  topic: string;
  partition: number;
  /** Offset of the first record of the batch; -1 with acks 0. */
  baseOffset: number;
}

export interface FetchRequest {
  topic: string;
  partition: number;
  offset: number;
  /** Soft budget: at least one batch is returned even when it is larger. Default 1 MiB. */
  maxBytes?: number;
  /** Long poll: wait up to this long for data at `offset` when there is none yet. Default 0. */
  maxWaitMs?: number;
  /**
   * With a long poll: once data arrives, wait up to this much longer (never past maxWaitMs) for
   * more, unless maxBytes arrived already; a caught-up reader then gets fewer, fuller answers
   * (Kafka's fetch.min.bytes, counted from the first byte). Default 0: answer at the first byte.
   * The embedded log's; a Kafka cluster's fetch ignores it.
   */
  lingerMs?: number;
}

export interface FetchResult {
  records: ConsumedRecord[];
  highWatermark: number;
  logStartOffset: number;
  /** Offset to fetch next: one past the last record returned, or the request's offset. */
  nextOffset: number;
}

export interface TopicSettings {
  /** -1: no limit (Kafka's "unlimited"); absent: the log's default. */
  retentionBytes?: number;
  /** -1: no limit (Kafka's "unlimited"); absent: the log's default. */
  retentionMs?: number;
  segmentBytes?: number;
  segmentMs?: number;
}

export interface TopicSpec extends TopicSettings {
  name: string;
  partitions: number;
  replicationFactor?: number;
}

export interface PartitionInfo {
  partition: number;
  leader: number;
  replicas: number[];
  isr: number[];
  leaderEpoch: number;
  logStartOffset: number;
  highWatermark: number;
  /** Null where the log cannot tell (see TopicInfo.unavailable). */
  sizeBytes: number | null;
}

export interface TopicInfo {
  name: string;
  /** The embedded log's id of this incarnation of the topic (a UUID, new for each topic created); absent on older topics and over Kafka. */
  id?: string;
  settings: TopicSettings;
  partitions: PartitionInfo[];
  /** Fields the log could not answer (a Kafka cluster lacking an API), each with the reason. */
  unavailable?: Record<string, string>;
}

export interface BrokerInfo {
  id: number;
  state: 'starting' | 'running' | 'restarting' | 'stopped';
  partitions: number;
  restarts: number;
  host?: string;
  port?: number;
}

export interface ClusterInfo {
  clusterId: string;
  backend: 'embedded' | 'kafka';
  controller: number;
  brokers: BrokerInfo[];
}

export interface TopicPartition {
  topic: string;
  partition: number;
}
