// Runs on: main thread.
import { rm } from 'node:fs/promises';
import { asTributaryError } from '../../errors.js';
import type { Logger } from '../../telemetry/logger.js';
import { storageError } from '../storage-error.js';
import type { BrokerHandle } from './broker-handle.js';
import type { PartitionAssignment } from './broker-protocol.js';
import type { TopicMetadata } from './cluster-metadata.js';
import type { ClusterController } from './controller.js';

/**
 * Deletes topics so that a kill -9 at any point leaves either the whole topic or none of it:
 *
 * 1. the metadata drops the topic and notes it as being deleted, in one atomic save: from here on
 *    nobody sees it, and a start after a crash finishes the deletion;
 * 2. the brokers that lead its partitions close them;
 * 3. what lives beside the log forgets it (`forget`): committed group offsets (durably), storage
 *    figures, metric series, the Kafka listener's producer state; the main thread removes the
 *    partitions' directories, without blocking (see closeOnBrokers);
 * 4. the note goes. Every step may run again after a crash: each is idempotent.
 *
 * A topic whose note is still there when its name is created again is finished first, so the new
 * topic starts empty at offset 0 and never adopts a half-removed directory.
 */
export class TopicDeletion {
  /** Deletions under way, by topic, so that a creation of the same name waits for its own. */
  private readonly running = new Map<string, Promise<void>>();
  private readonly listeners = new Set<(topic: string) => void>();

  constructor(
    private readonly controller: ClusterController,
    private readonly brokers: readonly BrokerHandle[],
    private readonly logger: Logger,
    /** Forgets what lives beside the log of a topic deleted (step 3); called again by a retry, so idempotent. */
    private readonly forget: (topic: string, partitions: number) => Promise<void>,
  ) {}

  /** Calls `listener` with the name of each topic deleted, at step 3; returns the way to stop that. */
  onDeleted(listener: (topic: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Deletes the topic; UNKNOWN_TOPIC when there is none. */
  delete(name: string): Promise<void> {
    const topic = this.controller.markDeleting(name);
    this.logger.info('deleting topic', { topic: name, partitions: topic.partitions.length });
    return this.track(name, this.remove(name, topic));
  }

  /** Finishes the deletion of `name` when one is noted (after a crash, or a failure part-way); at once when none is. */
  async finish(name: string): Promise<void> {
    const under = this.running.get(name);
    if (under) return under.catch(() => this.finish(name));
    if (this.controller.deleting(name) === undefined) return;
    return this.track(name, this.remove(name));
  }

  /** At start, before the configured topics are created: every deletion a crash interrupted is finished; one that fails is logged and kept for later. */
  async finishInterrupted(): Promise<void> {
    for (const [name, partitions] of this.controller.deletions()) {
      this.logger.warn('finishing the deletion of a topic that a stop interrupted', { topic: name, partitions });
      await this.finish(name).catch((err: unknown) =>
        this.logger.error('could not finish the deletion of a topic; it is tried again when the topic is created or at the next start', { topic: name, error: err }),
      );
    }
  }

  private track(name: string, deletion: Promise<void>): Promise<void> {
    const tracked = deletion.finally(() => {
      if (this.running.get(name) === tracked) this.running.delete(name);
    });
    this.running.set(name, tracked);
    return tracked;
  }

  /** Steps 2 to 4; `topic` (its leaders) when its partitions may be open on the brokers. */
  private async remove(name: string, topic?: TopicMetadata): Promise<void> {
    const partitions = this.controller.deleting(name) ?? topic?.partitions.length ?? 0;
    if (topic) await this.closeOnBrokers(name, topic);
    await this.forget(name, partitions);
    for (const listener of this.listeners) listener(name);
    const dirs = Array.from({ length: partitions }, (_, p) => this.controller.partitionDir(name, p));
    await Promise.all(
      dirs.map((dir) =>
        rm(dir, { recursive: true, force: true }).catch((err: unknown) => {
          throw storageError(err, `removing the partition directory ${dir} of the deleted topic ${name}`);
        }),
      ),
    );
    this.controller.deletionDone(name);
    this.logger.info('topic deleted', { topic: name });
  }

  /**
   * The leaders close the partitions (appends already sent to them land first; parked fetches are
   * answered) without syncing them. Their directories are removed by the caller, off the brokers'
   * threads: syncing or removing a topic of thousands of segments takes seconds, and the broker's
   * other partitions (the receiver's) would wait as long for their writes. A broker that is not
   * running opens only what the metadata lists when it is back.
   */
  private async closeOnBrokers(name: string, topic: TopicMetadata): Promise<void> {
    const byBroker = new Map<number, PartitionAssignment[]>();
    for (const p of topic.partitions) {
      const list = byBroker.get(p.leader) ?? [];
      list.push({ topic: name, partition: p.partition, dir: this.controller.partitionDir(name, p.partition), leaderEpoch: p.leaderEpoch, settings: this.controller.storageSettings(topic) });
      byBroker.set(p.leader, list);
    }
    await Promise.all(
      [...byBroker].map(async ([id, partitions]) => {
        const broker = this.brokers[id];
        if (broker.state !== 'restarting') broker.partitions = Math.max(0, broker.partitions - partitions.length);
        try {
          await broker.request<'discardPartitions'>({ op: 'discardPartitions', partitions });
        } catch (err) {
          this.logger.warn('a broker could not close the partitions of a deleted topic; their directories are removed without it', { topic: name, broker: id, error: asTributaryError(err) });
        }
      }),
    );
  }
}
