// Runs on: any thread (shared code with no thread of its own).
import type { GroupApi } from '../groups/types.js';
import type {
  ClusterInfo,
  FetchRequest,
  FetchResult,
  ProduceOptions,
  ProducerRecord,
  ProduceResult,
  TopicInfo,
  TopicSettings,
  TopicSpec,
} from './types.js';

/**
 * The one way the receiver, the sink runners, the admin API and the CLI reach the log.
 * Two implementations stand behind it: the embedded engine (src/log/embedded) and Apache Kafka.
 * The conformance suite in test/log/conformance.ts runs against each.
 *
 * Errors are TributaryErrors: UNKNOWN_TOPIC, UNKNOWN_PARTITION, OFFSET_OUT_OF_RANGE (with the
 * valid range in its message and details), RECORD_TOO_LARGE, BROKER_UNAVAILABLE (retriable), ...
 *
 * Consumer groups (GroupApi, src/groups/types.ts): consumers, group listing and description with
 * lag, offset commit, fetch and reset. The embedded engine runs its own coordinator
 * (src/groups/coordinator.ts); a Kafka backend maps the same calls onto Kafka's group protocol.
 */
export interface LogBackend extends GroupApi {
  readonly kind: 'embedded' | 'kafka';

  start(): Promise<void>;
  /** Finishes appends in flight, flushes and closes; calls after it fail with SHUTTING_DOWN. */
  shutdown(): Promise<void>;

  cluster(): Promise<ClusterInfo>;

  /** Creates a topic; with `ifNotExists`, an existing topic is returned as it is. */
  createTopic(spec: TopicSpec, options?: { ifNotExists?: boolean }): Promise<TopicInfo>;
  updateTopic(name: string, settings: TopicSettings): Promise<TopicInfo>;
  /**
   * Deletes a topic with its records and the offsets groups committed on it; UNKNOWN_TOPIC when
   * there is none. A topic created again under the name starts empty at offset 0. It does not
   * check who uses the topic: the gateway refuses the topics it uses before it calls this.
   */
  deleteTopic(name: string): Promise<void>;
  listTopics(): Promise<TopicInfo[]>;
  describeTopic(name: string): Promise<TopicInfo>;
  /** Number of partitions of a topic, answered from cached metadata (hot path of producers). */
  partitionCount(topic: string): number | undefined;

  /** Appends the records as one batch to the partition's leader; records keep their order. */
  produce(topic: string, partition: number, records: ProducerRecord[], options?: ProduceOptions): Promise<ProduceResult>;
  /**
   * Appends one already-encoded record batch v2 (src/log/record-batch.ts), as Kafka's Produce
   * request carries it: the log assigns its base offset and leader epoch and keeps the rest as
   * encoded (timestamps, records, CRC-32C, which is checked). A malformed batch fails with
   * INVALID_RECORD, one over the size limit with RECORD_TOO_LARGE. The bytes are copied: the
   * caller keeps its buffer.
   */
  produceBatch(topic: string, partition: number, batch: Uint8Array, options?: ProduceOptions): Promise<ProduceResult>;
  fetch(request: FetchRequest): Promise<FetchResult>;
  /** The first offset whose timestamp is at or after `timestamp`; the high watermark when none is. */
  offsetForTimestamp(topic: string, partition: number, timestamp: number): Promise<number>;
  /** For a log in another process (Kafka): whether its cluster answers, for /readyz. */
  connection?(): LogConnection;
}

export interface LogConnection {
  connected: boolean;
  /** The bootstrap servers, and the last error while not connected. */
  brokers: string[];
  error?: string;
}
