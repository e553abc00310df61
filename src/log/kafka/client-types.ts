/**
 * Runs on: main thread. The part of @confluentinc/kafka-javascript (its node-rdkafka style API)
 * that Tributary uses, declared here because the package is an optional native add-on: the
 * project type-checks and runs its embedded default whether or not the add-on was built.
 */

export interface LibrdKafkaError extends Error {
  code: number;
  isRetriable?: boolean;
  isFatal?: boolean;
}

export type Callback<T> = (err: LibrdKafkaError | null | undefined, value: T) => void;
export type Config = Record<string, string | number | boolean | ((...args: never[]) => void)>;
export type MessageHeader = Record<string, string | Buffer>;

export interface TopicPartition {
  topic: string;
  partition: number;
}
export interface TopicPartitionOffset extends TopicPartition {
  offset: number;
  metadata?: string | null;
  error?: LibrdKafkaError;
}

export interface Metadata {
  orig_broker_id: number;
  brokers: { id: number; host: string; port: number }[];
  topics: { name: string; partitions: { id: number; leader: number; replicas: number[]; isrs: number[] }[] }[];
}

export interface Message extends TopicPartitionOffset {
  value: Buffer | null;
  key?: Buffer | string | null;
  size: number;
  timestamp?: number;
  headers?: MessageHeader[];
}

export interface DeliveryReport extends TopicPartitionOffset {
  opaque?: unknown;
}

interface Client {
  connect(options: { timeout?: number }, cb: Callback<Metadata>): unknown;
  disconnect(cb: Callback<unknown>): unknown;
  isConnected(): boolean;
  getMetadata(options: { topic?: string; allTopics?: boolean; timeout?: number }, cb: Callback<Metadata>): void;
  queryWatermarkOffsets(topic: string, partition: number, timeout: number, cb: Callback<{ lowOffset: number; highOffset: number }>): void;
  on(event: string, listener: (...args: never[]) => void): unknown;
  removeListener(event: string, listener: (...args: never[]) => void): unknown;
}

export interface Producer extends Client {
  produce(topic: string, partition: number, value: Buffer | null, key: Buffer | null | undefined, timestamp: number | null, opaque: unknown, headers?: MessageHeader[]): unknown;
  setPollInterval(ms: number): unknown;
  /** Delivery reports from librdkafka's own thread, as soon as they arrive (no JS timer). */
  setPollInBackground(on: boolean): unknown;
  flush(timeout: number, cb: Callback<unknown>): unknown;
}

export interface KafkaConsumer extends Client {
  /** Only a consumer's native binding has it (the producer's lacks it). */
  offsetsForTimes(partitions: TopicPartitionOffset[], timeout: number, cb: Callback<TopicPartitionOffset[]>): void;
  assign(assignments: TopicPartitionOffset[]): unknown;
  unassign(): unknown;
  incrementalAssign(assignments: TopicPartitionOffset[]): unknown;
  incrementalUnassign(assignments: TopicPartition[]): unknown;
  assignments(): TopicPartition[];
  subscribe(topics: string[]): unknown;
  unsubscribe(): unknown;
  consume(count: number, cb: Callback<Message[]>): void;
  setDefaultConsumeTimeout(ms: number): void;
  setDefaultIsTimeoutOnlyForFirstMessage(value: boolean): void;
  commitCb(offsets: TopicPartitionOffset[] | null, cb: (err: LibrdKafkaError | null | undefined) => void): unknown;
  committed(partitions: TopicPartition[], timeout: number, cb: Callback<TopicPartitionOffset[]>): unknown;
}

export interface GroupOverview {
  groupId: string;
  state: number;
  isSimpleConsumerGroup: boolean;
}

export interface GroupDescriptionResult {
  groupId: string;
  error?: LibrdKafkaError;
  state: number;
  partitionAssignor: string;
  members: { memberId: string; clientId: string; assignment: { topicPartitions: TopicPartition[] } }[];
}

export interface AdminClient {
  createTopic(topic: { topic: string; num_partitions: number; replication_factor: number; config?: Record<string, string> }, timeout: number, cb: (err: LibrdKafkaError | null | undefined) => void): void;
  deleteTopic(topic: string, timeout: number, cb: (err: LibrdKafkaError | null | undefined) => void): void;
  listGroups(options: { timeout?: number }, cb: Callback<{ groups: GroupOverview[]; errors: LibrdKafkaError[] }>): void;
  describeGroups(groups: string[], options: { timeout?: number }, cb: Callback<{ groups: GroupDescriptionResult[] }>): void;
  listConsumerGroupOffsets(
    request: { groupId: string; partitions?: TopicPartition[] }[],
    options: { timeout?: number },
    cb: Callback<{ groupId: string; error?: LibrdKafkaError; partitions: TopicPartitionOffset[] }[]>,
  ): void;
  deleteGroups(groups: string[], options: { timeout?: number }, cb: Callback<{ groupId: string; errorCode?: number; error?: LibrdKafkaError }[]>): void;
  disconnect(): void;
}

export interface KafkaClientModule {
  Producer: new (config: Config, topicConfig?: Config) => Producer;
  KafkaConsumer: new (config: Config, topicConfig?: Config) => KafkaConsumer;
  AdminClient: { createFrom(client: Producer | KafkaConsumer): AdminClient };
  CODES: { ERRORS: Record<string, number> };
  librdkafkaVersion: string;
}
