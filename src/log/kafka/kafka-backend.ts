/**
 * Runs on: main thread. The log on an Apache Kafka cluster (`log.backend: kafka`): the same
 * LogBackend the embedded engine offers, through librdkafka. Records go to Kafka as the embedded
 * engine stores them (topic, partition, key, headers, value, timestamp) with acks=all; the
 * pipelines' consumer groups are Kafka consumer groups. Where the cluster lacks an API an answer
 * needs, the call fails with UNSUPPORTED_BY_CLUSTER naming it rather than inventing a value.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { NAME_PATTERN, type LogConfig, type TopicConfig } from '../../config/schema.js';
import { ConfigError, TributaryError } from '../../errors.js';
import type {
  CommitIdentity,
  CommittedOffset,
  Consumer,
  ConsumerOptions,
  GroupDescription,
  GroupListing,
  OffsetResetTarget,
  PartitionOffset,
} from '../../groups/types.js';
import { type Logger, silentLogger } from '../../telemetry/logger.js';
import { Telemetry } from '../../telemetry/telemetry.js';
import type { LogBackend, LogConnection } from '../backend.js';
import { decodeRecordBatches } from '../record-batch.js';
import type {
  ClusterInfo,
  FetchRequest,
  FetchResult,
  PartitionInfo,
  ProduceOptions,
  ProducerRecord,
  ProduceResult,
  TopicInfo,
  TopicPartition,
  TopicSettings,
  TopicSpec,
} from '../types.js';
import { batchTooLarge, checkEncodedBatch, checkFetchRequest, checkProducerRecords, topicSpecFromConfig } from '../embedded/validate.js';
import { type ApiVersions, KAFKA_API, probeApiVersions, unsupported } from './api-versions.js';
import type { AdminClient, KafkaClientModule } from './client-types.js';
import { connectionProperties, type KafkaClusterConfig } from './client-config.js';
import { ClusterReachability } from './cluster-reachability.js';
import { KafkaErrors } from './kafka-errors.js';
import type { GroupDefaults } from './kafka-consumer.js';
import { KafkaGroups } from './kafka-groups.js';
import { KafkaMetadata } from './kafka-metadata.js';
import { KafkaMetrics } from './kafka-metrics.js';
import { KafkaProducer, recordBytes, recordTooLarge } from './kafka-producer.js';
import { KafkaReaders } from './kafka-readers.js';
import { loadKafkaClient } from './load-client.js';

export interface KafkaBackendOptions {
  log: LogConfig;
  /** Topics to create at start when missing, where the cluster allows it. */
  topics?: Record<string, TopicConfig>;
  /** Consumer defaults for the groups (the config's `groups:` block). */
  groupDefaults?: GroupDefaults;
  telemetry?: Telemetry;
  logger?: Logger;
}

const CONNECT_TIMEOUT_MS = 10_000;
const METADATA_REFRESH_MS = 10_000;
/** How often a deletion looks whether the cluster's metadata still lists the topic. */
const DELETION_POLL_MS = 100;
const SHUTDOWN_FLUSH_MS = 10_000;
const SIZE_UNKNOWN = "Kafka's log sizes (DescribeLogDirs) are not available through the Kafka client Tributary uses";

export class KafkaBackend implements LogBackend {
  readonly kind = 'kafka' as const;

  private readonly cluster_: KafkaClusterConfig;
  private readonly logger: Logger;
  /** `connecting` until the producer is connected; `starting` while the configured topics are made. */
  private state: 'new' | 'connecting' | 'starting' | 'running' | 'stopping' | 'stopped' = 'new';
  private readonly client: KafkaClientModule;
  private readonly errors: KafkaErrors;
  private readonly producer: KafkaProducer;
  private readonly metadata: KafkaMetadata;
  private readonly readers: KafkaReaders;
  private readonly groups: KafkaGroups;
  private readonly metrics: KafkaMetrics;
  private admin: AdminClient | undefined;
  private apis: ApiVersions = new Map();
  private refreshTimer: NodeJS.Timeout | undefined;
  private readonly reachability: ClusterReachability;

  /** Loads the Kafka client at once, so that a missing one is reported before anything starts. */
  constructor(private readonly options: KafkaBackendOptions) {
    if (!options.log.kafka) throw new ConfigError('log.kafka: required with log.backend "kafka"');
    this.cluster_ = options.log.kafka;
    this.logger = options.logger ?? silentLogger;
    this.metrics = new KafkaMetrics(options.telemetry ?? new Telemetry());
    const client = loadKafkaClient('log.backend: kafka');
    this.errors = new KafkaErrors(client);
    const connection = connectionProperties(this.cluster_);
    this.producer = new KafkaProducer(client, connection, this.errors, {
      produceTimeoutMs: this.cluster_.produce_timeout,
      maxRecordBytes: this.options.log.max_record_bytes,
      onError: (err) => this.reachability.reported(err.message),
      logger: this.logger,
    });
    this.metadata = new KafkaMetadata(this.producer.client, this.errors);
    this.reachability = new ClusterReachability({
      brokers: this.cluster_.brokers,
      ask: () => this.metadata.refresh(),
      canAsk: () => this.state === 'running',
      // The produces waiting for acknowledgements are answered at once (their senders retry), and
      // the pipelines' commits waiting for their read back fail (they are made again).
      allDown: (err) => {
        this.producer.failPending(err);
        this.groups.failPending(err);
      },
    });
    this.readers = new KafkaReaders(client, connection, this.errors, this.producer.client);
    // Members may be created before start (the pipelines are built first); each connects by itself.
    this.groups = new KafkaGroups({
      client,
      connection,
      errors: this.errors,
      admin: () => this.adminClient(),
      readers: this.readers,
      metadata: this.metadata,
      supports: (api) => this.supports(api),
      defaults: this.options.groupDefaults,
      logger: this.logger,
      unreachable: () => (this.reachability.away() ? this.reachability.unreachable() : undefined),
    });
    this.client = client;
  }

  /** The admin client shares the producer's connections; made by start, once the producer is connected. */
  private adminClient(): AdminClient {
    this.running();
    // Not sent while the cluster is away: librdkafka 2.x can abort the process on an admin call to
    // a group coordinator that was pending when the brokers come back (its issues 3663 and 4605).
    if (this.reachability.away()) throw this.reachability.unreachable();
    return this.admin!;
  }

  async start(): Promise<void> {
    if (this.state !== 'new') throw new TributaryError('INVALID_REQUEST', `the Kafka backend was started already (${this.state})`);
    this.state = 'connecting';
    this.apis = await probeApiVersions(this.cluster_);
    await this.producer.connect(CONNECT_TIMEOUT_MS, { brokers: this.cluster_.brokers, keys: 'log.kafka.brokers, log.kafka.tls and log.kafka.sasl' });
    // Made now, before any other call: the client copies the producer's connection lock as it
    // stands, and a copy taken while a metadata request held it stays locked, so that every admin
    // call after it blocked a libuv thread for ever (four of them stopped the process's thread pool).
    this.admin = this.client.AdminClient.createFrom(this.producer.client);
    this.state = 'starting';
    await this.metadata.refresh();
    await this.createConfiguredTopics();
    this.reachability.answered();
    this.refreshTimer = setInterval(() => {
      this.metadata.refresh().then(
        () => this.reachability.answered(),
        (err) => this.logger.warn('Kafka metadata refresh failed', { error: err }),
      );
    }, METADATA_REFRESH_MS);
    this.refreshTimer.unref();
    this.state = 'running';
  }

  /** Creates the configured topics that are missing; where the cluster cannot, says which are. */
  private async createConfiguredTopics(): Promise<void> {
    const missing = Object.entries(this.options.topics ?? {}).filter(([name]) => this.metadata.topic(name) === undefined);
    if (missing.length === 0) return;
    if (!this.cluster_.create_topics || !this.supports('CreateTopics')) {
      const why = this.cluster_.create_topics ? 'the cluster does not serve CreateTopics' : 'log.kafka.create_topics is off';
      this.logger.warn(`topics missing in the Kafka cluster and not created (${why}): create them there`, { topics: missing.map(([n]) => n) });
      return;
    }
    for (const [name, topic] of missing) await this.createTopic(topicSpecFromConfig(name, topic), { ifNotExists: true });
  }

  /** Connected unless librdkafka reported an error since the cluster last answered. */
  connection(): LogConnection {
    const error = this.state !== 'running' ? `the backend is ${this.state}` : this.reachability.pendingError();
    return { connected: error === undefined, brokers: this.cluster_.brokers, ...(error ? { error } : {}) };
  }

  supports(api: keyof typeof KAFKA_API): boolean {
    return this.apis.has(KAFKA_API[api]);
  }

  async shutdown(): Promise<void> {
    if (this.state === 'stopped' || this.state === 'stopping') return;
    this.state = 'stopping';
    clearInterval(this.refreshTimer);
    // Every part is closed, even when one fails (a part never opened closes at once); the first failure is reported.
    const results = await Promise.allSettled([this.groups.close(), this.readers.close(), this.producer.close(SHUTDOWN_FLUSH_MS)]);
    this.state = 'stopped';
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) throw this.errors.wrap((failed as PromiseRejectedResult).reason, 'shut down the Kafka backend');
  }

  /** Calls need the connected producer: from `starting` on (start creates the configured topics). */
  private running(): void {
    if (this.state === 'running' || this.state === 'starting') return;
    if (this.state === 'stopping' || this.state === 'stopped') throw new TributaryError('SHUTTING_DOWN', 'the Kafka backend is shutting down', { retriable: true });
    throw new TributaryError('BROKER_UNAVAILABLE', 'the Kafka backend is not connected yet', { retriable: true });
  }

  async cluster(): Promise<ClusterInfo> {
    this.running();
    const md = await this.metadata.refresh();
    const led = new Map<number, number>();
    for (const t of this.metadata.topics()) for (const p of t.partitions) led.set(p.leader, (led.get(p.leader) ?? 0) + 1);
    return {
      clusterId: `kafka://${this.cluster_.brokers.join(',')}`,
      backend: 'kafka',
      // librdkafka's metadata does not name the controller: -1, Kafka's "unknown".
      controller: -1,
      brokers: md.brokers
        .map((b) => ({ id: b.id, state: 'running' as const, partitions: led.get(b.id) ?? 0, restarts: 0, host: b.host, port: b.port }))
        .sort((a, b) => a.id - b.id),
    };
  }

  async createTopic(spec: TopicSpec, options: { ifNotExists?: boolean } = {}): Promise<TopicInfo> {
    this.running();
    if (typeof spec?.name !== 'string' || !NAME_PATTERN.test(spec.name) || !Number.isInteger(spec.partitions) || spec.partitions < 1) {
      throw new TributaryError('INVALID_TOPIC', `invalid topic ${JSON.stringify(spec?.name)} with ${spec?.partitions} partitions: expected a Kafka topic name and at least 1 partition`);
    }
    await this.metadata.refresh();
    if (this.metadata.topic(spec.name)) {
      if (options.ifNotExists) return this.describeTopic(spec.name);
      throw new TributaryError('TOPIC_EXISTS', `topic ${spec.name} exists already`);
    }
    if (!this.supports('CreateTopics')) throw unsupported('CreateTopics', `create topic ${spec.name}`);
    const config: Record<string, string> = {};
    if (spec.retentionMs !== undefined) config['retention.ms'] = String(spec.retentionMs);
    if (spec.retentionBytes !== undefined) config['retention.bytes'] = String(spec.retentionBytes);
    if (spec.segmentBytes !== undefined) config['segment.bytes'] = String(spec.segmentBytes);
    if (spec.segmentMs !== undefined) config['segment.ms'] = String(spec.segmentMs);
    const admin = this.adminClient();
    await new Promise<void>((resolve, reject) =>
      admin.createTopic(
        { topic: spec.name, num_partitions: spec.partitions, replication_factor: spec.replicationFactor ?? -1, config },
        CONNECT_TIMEOUT_MS,
        (err) => (err && !(options.ifNotExists && this.errors.is(err, 'ERR_TOPIC_ALREADY_EXISTS')) ? reject(this.errors.wrap(err, `create topic ${spec.name}`)) : resolve()),
      ),
    );
    await this.metadata.refresh();
    return this.describeTopic(spec.name);
  }

  /**
   * DeleteTopics through the admin client. Kafka deletes a topic in the background after it
   * answered, so this waits (up to the connect timeout) until the metadata no longer lists it:
   * the caller may then create the name again.
   */
  async deleteTopic(name: string): Promise<void> {
    this.running();
    await this.metadata.refresh();
    await this.metadata.require(name);
    if (!this.supports('DeleteTopics')) throw unsupported('DeleteTopics', `delete topic ${name}`);
    const admin = this.adminClient();
    await new Promise<void>((resolve, reject) =>
      admin.deleteTopic(name, CONNECT_TIMEOUT_MS, (err) => (err && !this.errors.is(err, 'ERR_UNKNOWN_TOPIC_OR_PART') ? reject(this.errors.wrap(err, `delete topic ${name}`)) : resolve())),
    );
    // On the monotonic clock: a wall clock set back would stretch the wait.
    const deadline = performance.now() + CONNECT_TIMEOUT_MS;
    for (;;) {
      await this.metadata.refresh();
      if (!this.metadata.topic(name) || performance.now() >= deadline) return;
      await sleep(DELETION_POLL_MS);
    }
  }

  async updateTopic(name: string, _settings: TopicSettings): Promise<TopicInfo> {
    this.running();
    await this.metadata.require(name);
    throw new TributaryError(
      'UNSUPPORTED_BY_CLUSTER',
      `update topic ${name}: change a Kafka topic's configuration with Kafka's own tools (kafka-configs.sh); the Kafka client Tributary uses does not send AlterConfigs`,
    );
  }

  async listTopics(): Promise<TopicInfo[]> {
    this.running();
    await this.metadata.refresh();
    return Promise.all(this.metadata.topics().map((t) => this.topicInfo(t.name)));
  }

  async describeTopic(name: string): Promise<TopicInfo> {
    this.running();
    await this.metadata.refresh();
    await this.metadata.require(name);
    return this.topicInfo(name);
  }

  private async topicInfo(name: string): Promise<TopicInfo> {
    const t = this.metadata.topic(name)!;
    const partitions: PartitionInfo[] = await Promise.all(
      t.partitions.map(async (p) => {
        const w = await this.readers.watermarks(name, p.id);
        return { partition: p.id, leader: p.leader, replicas: p.replicas, isr: p.isrs, leaderEpoch: -1, logStartOffset: w.low, highWatermark: w.high, sizeBytes: null };
      }),
    );
    partitions.sort((a, b) => a.partition - b.partition);
    return { name, settings: {}, partitions, unavailable: { sizeBytes: SIZE_UNKNOWN, leaderEpoch: 'not reported by the Kafka client', settings: 'topic configs (DescribeConfigs) are not read' } };
  }

  partitionCount(topic: string): number | undefined {
    return this.metadata.partitionCount(topic);
  }

  async produce(topic: string, partition: number, records: ProducerRecord[], options: ProduceOptions = {}): Promise<ProduceResult> {
    this.running();
    if (this.reachability.away()) {
      this.metrics.produceErrors.inc({ code: 'BROKER_UNAVAILABLE' });
      throw this.reachability.unreachable();
    }
    checkProducerRecords(records);
    await this.metadata.requirePartition(topic, partition);
    const limit = this.options.log.max_record_bytes;
    let total = 0;
    for (const r of records) {
      const size = recordBytes(r);
      if (size > limit) throw recordTooLarge(topic, size, limit);
      total += size;
    }
    if (total > limit) throw batchTooLarge(total, limit);
    const acks = options.acks ?? 1;
    let baseOffset: number;
    try {
      baseOffset = await this.producer.produce(topic, partition, records, acks !== 0);
    } catch (err) {
      this.metrics.produceErrors.inc({ code: this.errors.wrap(err, 'produce').code });
      throw err;
    }
    if (acks !== 0) this.reachability.answered();
    this.metrics.appendRecords.inc({ topic }, records.length);
    this.metrics.appendBytes.inc({ topic }, total);
    return { topic, partition, baseOffset: acks === 0 ? -1 : baseOffset };
  }

  async produceBatch(topic: string, partition: number, batch: Uint8Array, options: ProduceOptions = {}): Promise<ProduceResult> {
    this.running();
    checkEncodedBatch(batch, this.options.log.max_record_bytes, true);
    // librdkafka builds its own batches: the records go as they were encoded (keys, headers,
    // timestamps), and Kafka assigns the offsets.
    const records = decodeRecordBatches(Buffer.from(batch.buffer, batch.byteOffset, batch.byteLength), topic, partition);
    return this.produce(topic, partition, records, options);
  }

  async fetch(request: FetchRequest): Promise<FetchResult> {
    this.running();
    const { topic, partition } = request;
    checkFetchRequest(request);
    await this.metadata.requirePartition(topic, partition);
    const result = await this.readers.fetch(request);
    if (result.records.length > 0) this.metrics.fetchRecords.inc({ topic }, result.records.length);
    return result;
  }

  async offsetForTimestamp(topic: string, partition: number, timestamp: number): Promise<number> {
    this.running();
    await this.metadata.requirePartition(topic, partition);
    const offset = await this.readers.offsetForTimestamp(topic, partition, timestamp);
    return offset >= 0 ? offset : (await this.readers.watermarks(topic, partition)).high;
  }

  createConsumer(options: ConsumerOptions): Consumer {
    if (this.state === 'stopping' || this.state === 'stopped') this.running();
    return this.groups.createConsumer(options);
  }

  listGroups(): Promise<GroupListing[]> {
    this.running();
    return this.groups.listGroups();
  }

  describeGroup(group: string): Promise<GroupDescription> {
    this.running();
    return this.groups.describeGroup(group);
  }

  resetOffsets(group: string, target: OffsetResetTarget, topics?: string[]): Promise<CommittedOffset[]> {
    this.running();
    return this.groups.resetOffsets(group, target, topics);
  }

  deleteGroup(group: string): Promise<void> {
    this.running();
    return this.groups.deleteGroup(group);
  }

  commitOffsets(group: string, offsets: PartitionOffset[], member?: CommitIdentity): Promise<void> {
    this.running();
    return this.groups.commitOffsets(group, offsets, member);
  }

  fetchOffsets(group: string, partitions?: TopicPartition[]): Promise<CommittedOffset[]> {
    this.running();
    return this.groups.fetchOffsets(group, partitions);
  }
}

export function createKafkaBackend(options: KafkaBackendOptions): KafkaBackend {
  return new KafkaBackend(options);
}
