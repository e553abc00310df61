// Runs on: main thread.
import { statSync } from 'node:fs';
import type { Logger } from '../../telemetry/logger.js';
import type { BrokerHandle } from './broker-handle.js';
import type { OpenedPartition, PartitionAssignment } from './broker-protocol.js';
import type { ClusterController } from './controller.js';
import type { TopicMetadata } from './cluster-metadata.js';

/**
 * A new topic's partitions on the broker threads that lead them: opened together, and removed
 * again, files and metadata, when one of them cannot be (no descriptors or disk space left).
 */
export class TopicPlacement {
  constructor(
    private readonly controller: ClusterController,
    private readonly brokers: readonly BrokerHandle[],
    private readonly logger: Logger,
    private readonly onOpened: (brokerId: number, opened: OpenedPartition[]) => void,
  ) {}

  async open(name: string, topic: TopicMetadata): Promise<void> {
    await Promise.all(
      [...this.byBroker(name, topic)].map(async ([id, partitions]) => {
        const broker = this.brokers[id];
        // A broker that is restarting opens the new partitions itself once it is back.
        if (broker.state === 'restarting') return;
        broker.partitions += partitions.length;
        this.onOpened(id, await broker.request<'open'>({ op: 'open', partitions }));
      }),
    );
  }

  /**
   * The new topic's partition directories that exist before it opens them: a configured topic's
   * records whose metadata was lost (cluster.json deleted). `remove` keeps them; a plain file in
   * the way is no partition's data and goes.
   */
  existingDirs(name: string, topic: TopicMetadata): string[] {
    return topic.partitions
      .map((p) => this.controller.assignment(name, p).dir)
      .filter((dir) => statSync(dir, { throwIfNoEntry: false })?.isDirectory() === true);
  }

  /**
   * Removes a new topic whose partitions did not all open, files and metadata, so that neither a
   * retry nor the next start trips over half of it. Only what the attempt created goes: the paths
   * in `keep` (existingDirs before the open) stay as they were.
   */
  async remove(name: string, topic: TopicMetadata, cause: unknown, keep: readonly string[]): Promise<void> {
    this.logger.warn('could not open the partitions of a new topic; removing it again', { topic: name, error: cause, kept: keep });
    const dropped = await Promise.allSettled(
      [...this.byBroker(name, topic)].map(async ([id, partitions]) => {
        const broker = this.brokers[id];
        // A restarting broker counts what the controller lists when it is back.
        if (broker.state !== 'restarting') broker.partitions = Math.max(0, broker.partitions - partitions.length);
        const keepDirs = partitions.filter((p) => keep.includes(p.dir)).map((p) => p.dir);
        await broker.request<'dropPartitions'>({ op: 'dropPartitions', partitions, keepDirs });
      }),
    );
    for (const result of dropped) {
      if (result.status === 'rejected') this.logger.warn("could not remove a new topic's files", { topic: name, error: result.reason });
    }
    try {
      this.controller.forgetNewTopic(name);
    } catch (err) {
      this.logger.error('could not remove a new topic from the metadata; it opens at the next start', { topic: name, error: err });
    }
  }

  private byBroker(name: string, topic: TopicMetadata): Map<number, PartitionAssignment[]> {
    const byBroker = new Map<number, PartitionAssignment[]>();
    for (const p of topic.partitions) {
      const list = byBroker.get(p.leader) ?? [];
      list.push(this.controller.assignment(name, p));
      byBroker.set(p.leader, list);
    }
    return byBroker;
  }
}
