// Runs on: main thread.
import { configSchema, type GroupsConfig, type LogConfig, type TopicConfig } from '../../config/schema.js';
import { TributaryError } from '../../errors.js';
import { createGroupCoordinator, type GroupCoordinator } from '../../groups/coordinator.js';
import type { CommitIdentity, CommittedOffset, Consumer, ConsumerOptions, GroupDescription, GroupListing, OffsetResetTarget, PartitionOffset } from '../../groups/types.js';
import { type Logger, silentLogger } from '../../telemetry/logger.js';
import { shutdownInOrder } from '../../shutdown-in-order.js';
import { Telemetry } from '../../telemetry/telemetry.js';
import type { LogBackend } from '../backend.js';
import type { StoredProducerBatch } from '../batch-producer.js';
import type { ClusterInfo, FetchRequest, FetchResult, ProduceOptions, ProducerRecord, ProduceResult, TopicInfo, TopicPartition, TopicSettings, TopicSpec } from '../types.js';
import { BrokerHandle } from './broker-handle.js';
import type { OpenedPartition, PartitionStats, PartitionStorageSettings } from './broker-protocol.js';
import { ClusterController } from './controller.js';
import { DataDirLock } from './data-dir-lock.js';
import { partitionCapacity } from '../../fd-budget.js';
import { LogMetrics } from './log-metrics.js';
import { raiseMallocThresholds } from './malloc-threshold.js';
import { FetchReader } from './fetch-reader.js';
import type { FetchedBatches } from './read-ahead.js';
import { type BatchHandOver, LeaderAppends } from './leader-appends.js';
import { PartitionStatsCache } from './partition-stats.js';
import { type ReaderPortListener, ReaderPorts } from './reader-ports.js';
import { loadClusterMetadata, reportRecovery } from './recovery-report.js';
import { threadPoolWarning } from './thread-pool.js';
import { TopicAdmin } from './topic-admin.js';
import { TopicDeletion } from './topic-deletion.js';
import { TopicPlacement } from './topic-placement.js';
import { checkFetchRequest, configTopicError, topicSpecFromConfig } from './validate.js';

export interface EmbeddedBackendOptions {
  log: LogConfig;
  /** Topics to create at start when they do not exist yet. */
  topics?: Record<string, TopicConfig>;
  /** Consumer group defaults (the config's `groups:` block); the schema's defaults when absent. */
  groups?: GroupsConfig;
  telemetry?: Telemetry;
  logger?: Logger;
}

/**
 * The log engine inside the process: a controller on the main thread that owns the metadata, and
 * `log.brokers` long-lived broker threads that own the partitions' storage. Batches are encoded
 * here and cross to the brokers through each broker's shared ring (src/log/embedded/batch-ring.ts).
 */
export class EmbeddedBackend implements LogBackend {
  readonly kind = 'embedded' as const;

  private readonly controller: ClusterController;
  private readonly brokers: BrokerHandle[];
  private readonly metrics: LogMetrics;
  /** The in-process group coordinator (its membership protocol is for tests and tools; use the GroupApi methods). */
  readonly groupCoordinator: GroupCoordinator;
  private readonly logger: Logger;
  private readonly appends: LeaderAppends;
  private readonly stats: PartitionStatsCache;
  private readonly topics: TopicAdmin;
  private readonly deletion: TopicDeletion;
  private readonly reader: FetchReader;
  /** Threads that read the brokers directly (sink workers), each with a port per broker. */
  private readonly readers: ReaderPorts;
  private state: 'new' | 'starting' | 'running' | 'stopping' | 'stopped' = 'new';
  /** Taken by start(); a shutdown during start waits for it, to release it. */
  private lock: Promise<DataDirLock> | undefined;

  constructor(private readonly options: EmbeddedBackendOptions) {
    const { log } = options;
    this.logger = (options.logger ?? silentLogger).child('log');
    this.controller = new ClusterController({
      dataDir: log.data_dir,
      brokerCount: log.brokers,
      defaults: this.topicDefaults(),
      capacity: () => partitionCapacity(),
    });
    const telemetry = options.telemetry ?? new Telemetry();
    this.metrics = new LogMetrics(telemetry, log.data_dir, () => this.stats.all());
    this.groupCoordinator = createGroupCoordinator({
      dataDir: log.data_dir,
      config: options.groups ?? configSchema.parse({}).groups,
      log: this,
      telemetry,
      logger: this.logger.child('groups'),
    });
    const settings = {
      fsync: log.fsync,
      fsyncIntervalMs: log.fsync_interval,
      retentionCheckIntervalMs: log.retention_check_interval,
      indexIntervalBytes: log.index_interval_bytes,
      maxBatchBytes: log.max_record_bytes,
    };
    this.brokers = Array.from(
      { length: log.brokers },
      (_, brokerId) =>
        new BrokerHandle({
          brokerId,
          settings,
          assignments: () => this.controller.assignmentsOf(brokerId),
          onOpened: (id, opened) => {
            this.partitionsOpened(id, opened);
            this.readers.brokerStarted(id);
          },
          onRestart: (id) => this.metrics.brokerRestarts.inc({ broker: String(id) }),
          logger: this.logger,
        }),
    );
    // From the start, so that the first restart shows in increase() (it needs a sample before it).
    for (let id = 0; id < log.brokers; id++) this.metrics.brokerRestarts.inc({ broker: String(id) }, 0);
    this.readers = new ReaderPorts(this.brokers, this.logger);
    this.appends = new LeaderAppends(this.metrics, log.max_record_bytes);
    this.stats = new PartitionStatsCache(this.brokers);
    const placement = new TopicPlacement(this.controller, this.brokers, this.logger, (id, opened) => this.partitionsOpened(id, opened));
    // What lives beside the log of a deleted topic: its storage figures, metric series and committed offsets.
    this.deletion = new TopicDeletion(this.controller, this.brokers, this.logger, async (topic, partitions) => {
      this.stats.forget(topic);
      this.appends.forget(topic);
      this.metrics.forgetTopic(topic, partitions);
      await this.groupCoordinator.forgetTopic(topic);
    });
    this.topics = new TopicAdmin(this.controller, this.brokers, placement, this.stats, this.deletion, this.logger);
    this.reader = new FetchReader(
      (r) => this.brokers[this.controller.requirePartition(r.topic, r.partition).leader].request<'fetch'>({ op: 'fetch', ...r }),
      (topic, records) => this.metrics.fetchRecords.inc({ topic }, records),
      {
        giveBack: (topic, partition, buffer) => {
          const leader = this.controller.topic(topic)?.partitions[partition]?.leader;
          if (leader !== undefined) this.brokers[leader]?.recycle(buffer);
        },
        // All brokers' together: a topic deleted on one broker may come back, led by another.
        changes: () => this.brokers.reduce((sum, broker) => sum + broker.changeCount(), 0),
        readNext: true,
      },
    );
  }

  async start(): Promise<void> {
    if (this.state !== 'new') throw new TributaryError('INTERNAL', `the embedded log was already started (${this.state})`);
    this.state = 'starting';
    raiseMallocThresholds();
    this.lock = DataDirLock.acquire(this.options.log.data_dir);
    await this.lock;
    try {
      if (this.state !== 'starting') throw new TributaryError('SHUTTING_DOWN', 'the embedded log was shut down while it started', { retriable: true });
      loadClusterMetadata(this.controller, this.logger);
      await Promise.all(this.brokers.map((b) => b.start()));
      this.state = 'running';
      await this.groupCoordinator.start();
      // Before the configured topics: one of them may be a topic whose deletion a crash interrupted.
      await this.deletion.finishInterrupted();
      // Each createTopic assigns its partitions synchronously, in config order; only the opening overlaps.
      const topics = Object.entries(this.options.topics ?? {}).map(([name, topic]) =>
        this.createTopic(topicSpecFromConfig(name, topic), { ifNotExists: true }).catch((err: unknown) => {
          throw configTopicError(name, err);
        }),
      );
      await Promise.all(topics);
    } catch (err) {
      await this.shutdown().catch((stopErr: unknown) => this.logger.warn('stopping the log after a failed start failed too', { error: stopErr }));
      throw err;
    }
    this.logger.info('embedded log started', {
      dataDir: this.options.log.data_dir,
      brokers: this.brokers.length,
      topics: this.controller.topicNames().length,
    });
    const poolWarning = threadPoolWarning(this.options.log, process.env.UV_THREADPOOL_SIZE);
    if (poolWarning) this.logger.warn(poolWarning, { brokers: this.brokers.length });
  }

  async shutdown(): Promise<void> {
    if (this.state === 'stopped' || this.state === 'stopping') return;
    this.state = 'stopping';
    try {
      await shutdownInOrder([
        // Members' last commits land before the brokers go.
        ['the group coordinator', () => this.groupCoordinator.shutdown()],
        // Appends already handed to a broker are ahead of its close message, so they finish first.
        ['the broker threads', () => this.shutdownBrokers()],
        // Released whatever happened above: a stopped engine must never keep the next start out.
        ['the data directory lock', async () => (await this.lock?.catch(() => undefined))?.release()],
      ]);
    } finally {
      this.state = 'stopped';
    }
    this.logger.info('embedded log stopped');
  }

  private async shutdownBrokers(): Promise<void> {
    const results = await Promise.allSettled(this.brokers.map((b) => b.shutdown()));
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /** Resolves once every broker thread is running (after a restart, for instance). */
  brokersReady(): Promise<void> {
    return Promise.all(this.brokers.map((b) => b.whenRunning())).then(() => undefined);
  }

  /** Ends a broker thread abruptly, as a crash would; the controller restarts it. For fault drills. */
  killBroker(brokerId: number): Promise<void> {
    const broker = this.brokers[brokerId];
    if (!broker) throw new TributaryError('INVALID_REQUEST', `there is no broker ${brokerId}; brokers are 0..${this.brokers.length - 1}`);
    return broker.kill();
  }

  /** Per-partition storage figures from the brokers (what /metrics shows), including sync state. */
  partitionStats(): Promise<PartitionStats[]> {
    this.assertRunning();
    return this.stats.all();
  }

  /** Applies retention on every partition now instead of at the next periodic check. */
  async enforceRetention(): Promise<void> {
    this.assertRunning();
    await this.topics.enforceRetention();
  }

  async cluster(): Promise<ClusterInfo> {
    return {
      clusterId: this.controller.clusterId,
      backend: 'embedded',
      // The controller is the main thread, not one of the brokers.
      controller: -1,
      brokers: this.brokers.map((b) => ({ id: b.id, state: b.state, partitions: b.partitions, restarts: b.restarts })),
    };
  }

  async createTopic(spec: TopicSpec, options: { ifNotExists?: boolean } = {}): Promise<TopicInfo> {
    this.assertRunning();
    return this.topics.create(spec, options);
  }

  /** A retention change is applied at once (not at the next periodic check); on a full disk, see TopicAdmin.update. */
  async updateTopic(name: string, settings: TopicSettings): Promise<TopicInfo> {
    this.assertRunning();
    return this.topics.update(name, settings);
  }

  /**
   * Deletes the topic with its records and every group's committed offsets on it; crash-safe
   * (topic-deletion.ts). A topic created again under its name starts empty at offset 0.
   */
  async deleteTopic(name: string): Promise<void> {
    this.assertRunning();
    await this.topics.delete(name);
  }

  /** Calls `listener` with the name of each topic deleted (the Kafka listener's producer state); returns the way to stop that. */
  onTopicDeleted(listener: (topic: string) => void): () => void {
    return this.deletion.onDeleted(listener);
  }

  async listTopics(): Promise<TopicInfo[]> {
    this.assertRunning();
    return this.topics.list();
  }

  /** How a topic that sets none of its own is stored: the config's `log.*` values (retention bytes absent: no limit). */
  topicDefaults(): PartitionStorageSettings {
    const { log } = this.options;
    return { segmentBytes: log.segment_bytes, segmentMs: log.segment_ms, retentionBytes: log.retention_bytes, retentionMs: log.retention_ms };
  }

  async describeTopic(name: string): Promise<TopicInfo> {
    this.assertRunning();
    return this.topics.describe(name);
  }

  /**
   * The topic's metadata (partitions, leaders, epochs) with the storage figures last seen, without
   * asking the brokers: what the Kafka listener's Metadata answers with, a round trip to each
   * leader's thread sooner than describeTopic. UNKNOWN_TOPIC as describeTopic.
   */
  describeTopicLayout(name: string): TopicInfo {
    this.assertRunning();
    return this.topics.layout(name);
  }

  /**
   * A partition's log start offset and high watermark as its leader stored them in shared memory
   * (shared-offsets.ts), without asking its thread; undefined before the partition was opened.
   * UNKNOWN_TOPIC as describeTopic.
   */
  partitionOffsets(topic: string, partition: number): { logStartOffset: number; highWatermark: number } | undefined {
    this.assertRunning();
    return this.topics.offsets(topic, partition);
  }

  /** Every topic as describeTopicLayout describes it. */
  listTopicLayouts(): TopicInfo[] {
    this.assertRunning();
    return this.topics.layouts();
  }

  createConsumer(options: ConsumerOptions): Consumer {
    return this.groupCoordinator.createConsumer(options);
  }

  listGroups(): Promise<GroupListing[]> {
    return this.groupCoordinator.listGroups();
  }

  describeGroup(group: string): Promise<GroupDescription> {
    return this.groupCoordinator.describeGroup(group);
  }

  resetOffsets(group: string, target: OffsetResetTarget, topics?: string[]): Promise<CommittedOffset[]> {
    return this.groupCoordinator.resetOffsets(group, target, topics);
  }

  deleteGroup(group: string): Promise<void> {
    return this.groupCoordinator.deleteGroup(group);
  }

  commitOffsets(group: string, offsets: PartitionOffset[], member?: CommitIdentity): Promise<void> {
    return this.groupCoordinator.commitOffsets(group, offsets, member);
  }

  fetchOffsets(group: string, partitions?: TopicPartition[]): Promise<CommittedOffset[]> {
    return this.groupCoordinator.fetchOffsets(group, partitions);
  }

  partitionCount(topic: string): number | undefined {
    return this.controller.topic(topic)?.partitions.length;
  }

  async produce(topic: string, partition: number, records: ProducerRecord[], options: ProduceOptions = {}): Promise<ProduceResult> {
    return this.appends.records(this.leaderOf(topic, partition), topic, partition, records, options);
  }

  /** `handOver`: the caller may give up the batch's memory instead of having it copied (BatchHandOver). */
  async produceBatch(topic: string, partition: number, batch: Uint8Array, options: ProduceOptions = {}, handOver?: BatchHandOver): Promise<ProduceResult> {
    return this.appends.batch(this.leaderOf(topic, partition), topic, partition, batch, options, handOver);
  }

  async fetch(request: FetchRequest): Promise<FetchResult> {
    this.assertRunning();
    this.controller.requirePartition(request.topic, request.partition);
    checkFetchRequest(request);
    return this.reader.fetch(request);
  }

  /**
   * Whole record batches as stored, from the one that holds `offset` on (at least one batch,
   * whatever the budget): what the Kafka listener serves as it lies.
   */
  async fetchBatches(request: FetchRequest): Promise<FetchedBatches> {
    this.assertRunning();
    this.controller.requirePartition(request.topic, request.partition);
    checkFetchRequest(request);
    return this.reader.fetchBatches(request);
  }

  /**
   * Done with batches from fetchBatches (sent on a socket, or not wanted): their memory may be
   * read into again by the broker. Nothing may read them afterwards.
   */
  recycleBatches(batches: Buffer): void {
    this.reader.recycle(batches);
  }

  /** The leader broker of each partition of a topic, by partition; UNKNOWN_TOPIC when there is none. */
  partitionLeaders(topic: string): number[] {
    this.assertRunning();
    return this.controller.requireTopic(topic).partitions.map((p) => p.leader);
  }

  /**
   * Lets another thread read the brokers directly, so record bytes do not pass through this one
   * (reader-ports.ts). Returns the way to stop that.
   */
  addReader(listener: ReaderPortListener): () => void {
    return this.readers.add(listener);
  }

  /** Idempotent producers' last batches in the last `windowBytes` of a partition, in log order (workers/broker/producer-tail.ts). */
  producerTail(topic: string, partition: number, windowBytes: number, maxProducers: number): Promise<StoredProducerBatch[]> {
    return this.leaderOf(topic, partition).request<'producerTail'>({ op: 'producerTail', topic, partition, windowBytes, maxProducers });
  }

  async offsetForTimestamp(topic: string, partition: number, timestamp: number): Promise<number> {
    return this.leaderOf(topic, partition).request<'offsetForTimestamp'>({ op: 'offsetForTimestamp', topic, partition, timestamp });
  }

  /** The largest record timestamp a partition holds, undefined when it holds none (Kafka's ListOffsets MAX_TIMESTAMP). */
  maxTimestamp(topic: string, partition: number): Promise<number | undefined> {
    return this.leaderOf(topic, partition).request<'maxTimestamp'>({ op: 'maxTimestamp', topic, partition });
  }

  /** After a broker opened partitions: their offsets are read from its memory, and what recovery did is reported. */
  private partitionsOpened(brokerId: number, opened: OpenedPartition[]): void {
    this.stats.opened(opened);
    reportRecovery(brokerId, opened, this.metrics, this.logger);
  }

  /** The broker thread leading a partition; UNKNOWN_TOPIC or UNKNOWN_PARTITION when there is none. */
  private leaderOf(topic: string, partition: number): BrokerHandle {
    this.assertRunning();
    return this.brokers[this.controller.requirePartition(topic, partition).leader];
  }

  private assertRunning(): void {
    if (this.state === 'running') return;
    if (this.state === 'stopping' || this.state === 'stopped') {
      throw new TributaryError('SHUTTING_DOWN', 'the embedded log is shutting down', { retriable: true });
    }
    throw new TributaryError('BROKER_UNAVAILABLE', 'the embedded log is not started yet', { retriable: true });
  }
}

export function createEmbeddedBackend(options: EmbeddedBackendOptions): EmbeddedBackend {
  return new EmbeddedBackend(options);
}
