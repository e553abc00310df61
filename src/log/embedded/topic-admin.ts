// Runs on: main thread.
import type { Logger } from '../../telemetry/logger.js';
import type { TopicInfo, TopicSettings, TopicSpec } from '../types.js';
import type { BrokerHandle } from './broker-handle.js';
import type { ClusterController } from './controller.js';
import type { PartitionStatsCache } from './partition-stats.js';
import type { TopicPlacement } from './topic-placement.js';

/**
 * The embedded log's topic operations: the controller decides a topic's partitions, leaders and
 * settings; the leading brokers open the partitions and apply the settings; descriptions join the
 * controller's metadata with the storage figures (PartitionStatsCache). The caller checks that the
 * engine is running.
 */
export class TopicAdmin {
  constructor(
    private readonly controller: ClusterController,
    private readonly brokers: readonly BrokerHandle[],
    private readonly placement: TopicPlacement,
    private readonly stats: PartitionStatsCache,
    private readonly logger: Logger,
  ) {}

  async create(spec: TopicSpec, options: { ifNotExists?: boolean }): Promise<TopicInfo> {
    if (this.controller.topic(spec.name) && options.ifNotExists) return this.describe(spec.name);
    const topic = this.controller.createTopic(spec);
    const existing = this.placement.existingDirs(spec.name, topic);
    try {
      await this.placement.open(spec.name, topic);
    } catch (err) {
      await this.placement.remove(spec.name, topic, err, existing);
      this.stats.forget(spec.name);
      throw err;
    }
    this.logger.info('topic created', { topic: spec.name, partitions: spec.partitions });
    return this.describe(spec.name);
  }

  async update(name: string, settings: TopicSettings): Promise<TopicInfo> {
    const topic = this.controller.updateTopicSettings(name, settings);
    const storage = this.controller.storageSettings(topic);
    await Promise.all(
      topic.partitions.map((p) =>
        this.brokers[p.leader].request<'updateSettings'>({ op: 'updateSettings', topic: name, partition: p.partition, settings: storage }),
      ),
    );
    return this.describe(name);
  }

  async list(): Promise<TopicInfo[]> {
    await this.stats.all();
    return this.layouts();
  }

  async describe(name: string): Promise<TopicInfo> {
    const topic = this.controller.requireTopic(name);
    await this.stats.refresh(
      topic.partitions.map((p) => p.leader),
      name,
    );
    return this.stats.topicInfo(name, topic);
  }

  /** The topic with the storage figures last seen, without asking the brokers. */
  layout(name: string): TopicInfo {
    return this.stats.topicInfo(name, this.controller.requireTopic(name));
  }

  layouts(): TopicInfo[] {
    return this.controller.topicNames().map((name) => this.layout(name));
  }

  /** A partition's offsets from its leader's shared memory; undefined before it was opened. */
  offsets(topic: string, partition: number): { logStartOffset: number; highWatermark: number } | undefined {
    this.controller.requirePartition(topic, partition);
    return this.stats.offsets(topic, partition);
  }
}
