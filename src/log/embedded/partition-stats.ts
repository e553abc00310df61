// Runs on: main thread.
import { TributaryError } from '../../errors.js';
import type { PartitionInfo, TopicInfo } from '../types.js';
import type { BrokerHandle } from './broker-handle.js';
import type { OpenedPartition, PartitionStats } from './broker-protocol.js';
import { SharedOffsets } from './shared-offsets.js';
import type { TopicMetadata } from './cluster-metadata.js';

/**
 * The storage figures of every partition (offsets, size, sync state), asked of the brokers that
 * lead them. The last answer is kept, so a broker that is restarting shows what was last seen
 * instead of failing a whole listing. The offsets are read from the memory each leader stores
 * them in (SharedOffsets) once the partition was opened, so they are current without asking.
 */
export class PartitionStatsCache {
  private readonly last = new Map<string, PartitionStats>();
  private readonly shared = new Map<string, SharedOffsets>();

  constructor(private readonly brokers: readonly BrokerHandle[]) {}

  /** Partitions a broker opened (again): their offsets are read from its memory from now on. */
  opened(partitions: readonly OpenedPartition[]): void {
    for (const p of partitions) this.shared.set(`${p.topic}/${p.partition}`, new SharedOffsets(p.offsets));
  }

  /** A topic that is gone (a creation undone): what its partitions stored is dropped. */
  forget(topic: string): void {
    for (const map of [this.last, this.shared]) for (const key of map.keys()) if (key.startsWith(`${topic}/`)) map.delete(key);
  }

  /** The partition's log start offset and high watermark as its leader stored them; undefined before it was opened. */
  offsets(topic: string, partition: number): { logStartOffset: number; highWatermark: number } | undefined {
    const shared = this.shared.get(`${topic}/${partition}`);
    return shared && { logStartOffset: shared.logStartOffset, highWatermark: shared.highWatermark };
  }

  async all(): Promise<PartitionStats[]> {
    await this.refresh(this.brokers.map((b) => b.id));
    return [...this.last.values()];
  }

  /** Asks the given brokers for their partitions' figures (only `topic`'s when given). */
  async refresh(brokerIds: Iterable<number>, topic?: string): Promise<void> {
    await Promise.all(
      [...new Set(brokerIds)].map(async (id) => {
        try {
          const stats = await this.brokers[id].request<'stats'>({ op: 'stats', topic });
          for (const s of stats) this.last.set(`${s.topic}/${s.partition}`, s);
        } catch (err) {
          if (!(err instanceof TributaryError && err.code === 'BROKER_UNAVAILABLE')) throw err;
        }
      }),
    );
  }

  /** The topic as LogBackend describes it: metadata plus the last figures seen. */
  topicInfo(name: string, topic: TopicMetadata): TopicInfo {
    const partitions: PartitionInfo[] = topic.partitions.map((p) => {
      const stats = this.last.get(`${name}/${p.partition}`);
      const offsets = this.offsets(name, p.partition);
      return {
        partition: p.partition,
        leader: p.leader,
        replicas: [...p.replicas],
        isr: [...p.isr],
        leaderEpoch: p.leaderEpoch,
        logStartOffset: offsets?.logStartOffset ?? stats?.logStartOffset ?? 0,
        highWatermark: offsets?.highWatermark ?? stats?.highWatermark ?? 0,
        sizeBytes: stats?.sizeBytes ?? 0,
      };
    });
    return { name, ...(topic.id ? { id: topic.id } : {}), settings: { ...topic.settings }, partitions };
  }
}
