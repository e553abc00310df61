/**
 * Runs on: main thread and sink workers (the calls between them).
 *
 * What a sink worker thread and the main thread ask of each other. The worker runs pipeline
 * members (poll, batch, export, commit). Over the embedded engine it reads record batches from
 * the brokers over ports of its own and the main thread keeps the group coordinator, so
 * membership, heartbeats and commits cross as small calls, never record bytes (except a
 * dead-lettered batch, sent back to the log through the main thread's producer). Over Kafka the
 * members' consumers are librdkafka's, which only the main thread can run (the client dispatches
 * its callbacks on the main thread's event loop): polls, commits and rebalances cross instead,
 * and the polled records with them.
 */
import type { MessagePort } from 'node:worker_threads';
import type { PipelineConfig } from '../../config/schema.js';
import type { ConsumerSettings } from '../../groups/consumer.js';
import type { JoinGroupRequest, JoinGroupResult } from '../../groups/protocol.js';
import type { CommitIdentity, CommittedOffset, ConsumerOptions, PartitionOffset, PollOptions } from '../../groups/types.js';
import type { ConsumedRecord, ProduceResult, ProducerRecord, TopicInfo, TopicPartition, TopicSpec } from '../../log/types.js';
import type { LogLevel } from '../../telemetry/logger.js';
import type { MetricsSnapshot } from '../../telemetry/telemetry.js';
import type { ExportOutcome, SinkBatch } from '../sink.js';

/**
 * A consumer's settings as they cross threads: the rebalance listeners are the worker's own. Over
 * the embedded engine the coordinator has filled in the `groups:` defaults (ConsumerSettings);
 * over Kafka the backend applies them where it builds the consumer.
 */
export type MemberSettings = Omit<ConsumerOptions, 'onPartitionsRevoked' | 'onPartitionsAssigned'> &
  Partial<Omit<ConsumerSettings, 'onPartitionsRevoked' | 'onPartitionsAssigned'>>;

/**
 * Where the members' consumers run: `brokers`, on the worker, reading the embedded engine's
 * brokers and joining the main thread's coordinator; `main-thread`, on the main thread, built
 * by the log backend (Kafka's group protocol coordinates them), the worker polling them there.
 */
export type MemberConsumers = 'brokers' | 'main-thread';

/** A member's name in calls about its consumer: unique in the process (client ids are `<group>-<n>`). */
export const memberKey = (group: string, clientId: string) => `${group}\u0000${clientId}`;

/** A pipeline as one worker runs it: its config and the members placed on this worker. */
export interface HostedPipeline {
  /** Where the pipeline's settings are, for paths in errors: `pipelines[2]` in the config, "" for a request's body. */
  path: string;
  config: PipelineConfig;
  members: MemberSettings[];
}

/** The path of a pipeline's `sink` block in errors: `pipelines[2].sink`, or `sink` in a request. */
export const sinkPathOf = (path: string) => (path ? `${path}.sink` : 'sink');

export interface SinkWorkerData {
  /** Which worker of the pool this is (0-based), for names and logs. */
  worker: number;
  consumers: MemberConsumers;
  pipelines: HostedPipeline[];
}

/** The main thread's side: the group coordinator, topic metadata, and the producer for dead letters. */
export interface MainThreadCalls {
  joinGroup(request: Omit<JoinGroupRequest, 'onRebalance'>): Promise<JoinGroupResult>;
  heartbeat(group: string, memberId: string, generation: number): Promise<void>;
  leaveGroup(group: string, memberId: string): Promise<void>;
  commitOffsets(group: string, offsets: PartitionOffset[], member?: CommitIdentity): Promise<void>;
  fetchOffsets(group: string, partitions?: TopicPartition[]): Promise<CommittedOffset[]>;
  describeTopic(topic: string): Promise<TopicInfo>;
  /** The leader broker of each partition of the topic. */
  partitionLeaders(topic: string): number[];
  createTopic(spec: TopicSpec, options?: { ifNotExists?: boolean }): Promise<TopicInfo>;
  produce(topic: string, partition: number, records: ProducerRecord[]): Promise<ProduceResult>;
  /** Polls member `member`'s consumer on the main thread (`main-thread` consumers; the first call builds it). */
  consumerPoll(member: string, options: PollOptions): Promise<ConsumedRecord[]>;
  consumerCommit(member: string, offsets: PartitionOffset[]): Promise<void>;
  /** Closes the member's consumer: it leaves its group. */
  consumerClose(member: string): Promise<void>;
  /** Exports a batch through the sink of the pipeline of group `group` on the main thread (a `mainThread` sink). */
  sinkExport(group: string, batch: SinkBatch): Promise<ExportOutcome>;
  /** A log line of the worker, written by the main thread's logger (`name` is below the pipelines' logger). */
  log(level: Exclude<LogLevel, 'silent'>, name: string, message: string, fields?: Record<string, unknown>): void;
  /** The worker's metrics now and then, so a worker that dies loses little of its counts. */
  metricsSnapshot(snapshot: MetricsSnapshot): void;
}

/** The worker's side. */
export interface SinkWorkerCalls {
  /** Starts the sinks (a failure fails the gateway's start), then the members' loops. */
  start(): Promise<void>;
  /** Members finish and commit the batch in hand and leave their groups; then the sinks close. Answers the final metrics. */
  stop(): Promise<MetricsSnapshot>;
  /** Starts a pipeline's sink and members here (a pipeline created or resumed at run time). */
  addPipeline(hosted: HostedPipeline): Promise<void>;
  /** The pipeline's members here finish and commit the batch in hand and leave its group; then its sink closes. */
  removePipeline(group: string): Promise<void>;
  /** Drops the metric series of a pipeline deleted for good. */
  forgetPipeline(group: string): Promise<void>;
  metrics(): Promise<MetricsSnapshot>;
  /** One end of a channel to a broker thread, with its change count's memory; a new one arrives whenever that broker restarts. */
  brokerPort(brokerId: number, port: MessagePort, changeCounts: SharedArrayBuffer): void;
  /** A rebalance started that the member `clientId` of `group` must rejoin. */
  rebalance(group: string, clientId: string): void;
  /** A `main-thread` consumer is giving up these partitions: its member delivers and commits what it holds first. */
  partitionsRevoked(member: string, partitions: TopicPartition[]): Promise<void>;
}
