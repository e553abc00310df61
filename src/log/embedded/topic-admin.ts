// Runs on: main thread.
import type { Logger } from '../../telemetry/logger.js';
import { isDiskFull, isOutOfDescriptors } from '../storage-error.js';
import type { TopicInfo, TopicSettings, TopicSpec } from '../types.js';
import type { BrokerHandle } from './broker-handle.js';
import type { PartitionStorageSettings } from './broker-protocol.js';
import type { TopicMetadata } from './cluster-metadata.js';
import type { ClusterController } from './controller.js';
import type { PartitionStatsCache } from './partition-stats.js';
import type { TopicDeletion } from './topic-deletion.js';
import type { TopicPlacement } from './topic-placement.js';

/**
 * The embedded log's topic operations: the controller decides a topic's partitions, leaders and
 * settings; the leading brokers open the partitions and apply the settings; descriptions join the
 * controller's metadata with the storage figures (PartitionStatsCache); deletions are
 * TopicDeletion's. The caller checks that the engine is running.
 */
export class TopicAdmin {
  constructor(
    private readonly controller: ClusterController,
    private readonly brokers: readonly BrokerHandle[],
    private readonly placement: TopicPlacement,
    private readonly stats: PartitionStatsCache,
    private readonly deletion: TopicDeletion,
    private readonly logger: Logger,
  ) {}

  async create(spec: TopicSpec, options: { ifNotExists?: boolean }): Promise<TopicInfo> {
    if (this.controller.topic(spec.name) && options.ifNotExists) return this.describe(spec.name);
    // A deletion of the same name that is under way, or was interrupted, ends first: the new topic starts empty.
    await this.deletion.finish(spec.name);
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

  /**
   * Deletes the topic, its records and its groups' committed offsets; UNKNOWN_TOPIC when there is
   * none. Deleting a topic is a way to make room on a full disk, or to free the descriptors its
   * segments hold (two each) when the process has none left, while its first step saves the
   * metadata, which needs both: when that fails for lack of either, the topic's partitions drop
   * every closed segment first (a retention of 0 bytes, the records going as asked) and the
   * deletion is tried again. If that fails too, they go back to their settings and the call fails.
   */
  async delete(name: string): Promise<void> {
    try {
      await this.deletion.delete(name);
    } catch (err) {
      const lacking = lackOfRoom(err);
      if (!lacking) throw err;
      const before = this.controller.storageSettings(this.controller.requireTopic(name));
      this.logger.warn(`${lacking}: emptying the closed segments of the topic being deleted before saving its deletion`, { topic: name });
      await this.applyStorageSettings(name, { ...before, retentionBytes: 0 });
      await this.enforceRetention();
      try {
        await this.deletion.delete(name);
      } catch (again) {
        if (this.controller.topic(name)) await this.applyStorageSettings(name, before);
        throw again;
      }
    }
  }

  /**
   * A retention change is applied at once. Lowering a topic's retention is how an operator makes
   * room, or frees the descriptors its segments hold, while saving the metadata needs both: when
   * the save fails for lack of either, the brokers apply the new retention first and it is saved
   * again. If that fails too, the partitions go back to their old settings (what retention
   * deleted meanwhile stays deleted, as asked) and the call fails.
   */
  async update(name: string, settings: TopicSettings): Promise<TopicInfo> {
    const changesRetention = settings.retentionBytes !== undefined || settings.retentionMs !== undefined;
    const before = this.controller.storageSettings(this.controller.requireTopic(name));
    let topic: TopicMetadata;
    try {
      topic = this.controller.updateTopicSettings(name, settings);
    } catch (err) {
      const lacking = lackOfRoom(err);
      if (!changesRetention || !lacking) throw err;
      const retention = { retentionBytes: settings.retentionBytes ?? before.retentionBytes, retentionMs: settings.retentionMs ?? before.retentionMs };
      this.logger.warn(`${lacking}: applying the lowered retention before saving it`, { topic: name, ...retention });
      await this.applyStorageSettings(name, { ...before, ...retention });
      await this.enforceRetention();
      try {
        topic = this.controller.updateTopicSettings(name, settings);
      } catch (again) {
        await this.applyStorageSettings(name, before);
        throw again;
      }
    }
    await this.applyStorageSettings(name, this.controller.storageSettings(topic));
    if (changesRetention) await this.enforceRetention();
    return this.describe(name);
  }

  /** Every broker deletes the segments its partitions' retention no longer keeps, now rather than at its next check. */
  async enforceRetention(): Promise<void> {
    await Promise.all(this.brokers.map((b) => b.request<'enforceRetention'>({ op: 'enforceRetention' })));
  }

  private async applyStorageSettings(name: string, storage: PartitionStorageSettings): Promise<void> {
    await Promise.all(
      this.controller
        .requireTopic(name)
        .partitions.map((p) => this.brokers[p.leader].request<'updateSettings'>({ op: 'updateSettings', topic: name, partition: p.partition, settings: storage })),
    );
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

/** What a failed save lacks that dropping segments gives back (disk space, descriptors); undefined for any other failure. */
function lackOfRoom(err: unknown): string | undefined {
  if (isDiskFull(err)) return 'the disk is full';
  if (isOutOfDescriptors(err)) return 'no file descriptors are left';
  return undefined;
}
