// Runs on: sink worker.
import { setTimeout as sleep } from 'node:timers/promises';
import { asTributaryError } from '../../errors.js';
import type { Consumer, PartitionOffset, RebalanceListener } from '../../groups/types.js';
import type { ConsumedRecord } from '../../log/types.js';
import { backoffDelay } from '../../retry/backoff.js';
import { type BatchPolicy, Batcher } from './batcher.js';
import { type DeliveryContext, deliverBatch } from './deliver-batch.js';

/** A commit refused for these is not retried: the member is no longer the one to commit. */
const GROUP_STATE_ERRORS = new Set(['UNKNOWN_MEMBER', 'ILLEGAL_GENERATION', 'REBALANCE_IN_PROGRESS', 'FENCED_INSTANCE']);

/** The position after each partition's last record in the batch: what the group commits. */
function offsetsAfter(records: readonly ConsumedRecord[]): PartitionOffset[] {
  const next = new Map<string, PartitionOffset>();
  let last: PartitionOffset | undefined;
  for (const r of records) {
    // A batch holds runs of one partition's records: only a new partition is looked up.
    if (last?.partition !== r.partition || last.topic !== r.topic) {
      const key = `${r.topic}\u0000${r.partition}`;
      last = next.get(key);
      if (!last) {
        last = { topic: r.topic, partition: r.partition, offset: r.offset + 1 };
        next.set(key, last);
      }
    }
    if (r.offset + 1 > last.offset) last.offset = r.offset + 1;
  }
  return [...next.values()];
}

/**
 * One member of a pipeline's group: poll, batch, deliver, commit, in a loop of its own, so a
 * slow sink holds up only this loop. The next batch is polled while the last one is exported
 * (one export at a time, in order), and a commit (an fsync on the coordinator) runs while the
 * next batch is delivered; at most one delivered batch waits for it, and commits made meanwhile
 * are merged into the next one. Before a rebalance takes its partitions, the records it holds
 * are delivered and every commit has landed.
 */
export class PipelineMember {
  private readonly consumer: Consumer;
  private readonly batcher: Batcher;
  private running = false;
  private loop: Promise<void> | undefined;
  /** The export in flight, if any. */
  private exporting: Promise<void> | undefined;
  /** The commit being made, if any. */
  private committing: Promise<void> | undefined;
  /** Offsets of batches delivered since that commit began, by partition: the next commit. */
  private readonly uncommitted = new Map<string, PartitionOffset>();
  /** A batch was given up at shutdown: later ones are neither delivered nor committed, since their commit would skip it. */
  private gaveUp = false;
  /** Aborted while a stop or a rebalance waits for the commits: a failed one is not retried then. */
  private commitRetries = new AbortController();

  /** `createConsumer` builds the member's consumer with the listener it must run before a rebalance. */
  constructor(
    createConsumer: (onPartitionsRevoked: RebalanceListener) => Consumer,
    batch: BatchPolicy,
    private readonly delivery: DeliveryContext,
  ) {
    this.consumer = createConsumer(async () => {
      await this.exporting;
      const held = this.batcher.take();
      if (held.length > 0) await this.deliver(held);
      await this.commitsLanded();
    });
    this.batcher = new Batcher(this.consumer, batch);
  }

  start(): void {
    this.running = true;
    this.loop = this.run();
  }

  /** Stops polling, lets the batch in hand finish and commit, then leaves the group. */
  async stop(): Promise<void> {
    this.running = false;
    // A commit waiting to be retried (a full disk) holds the loop: it gets its last attempt now.
    this.commitRetries.abort();
    await this.loop;
    await this.exporting;
    await this.commitsLanded();
    await this.consumer.close();
  }

  private async run(): Promise<void> {
    const isRunning = () => this.running;
    let pollFailures = 0;
    while (this.running) {
      let batch: ConsumedRecord[];
      try {
        batch = await this.batcher.fill(isRunning);
        pollFailures = 0;
      } catch (err) {
        if (!this.running) break;
        // A poll is retried for ever (nothing is lost while the log is away), waiting as deliveries do.
        const delayMs = backoffDelay(this.delivery.retry, pollFailures++);
        this.delivery.logger.warn('poll failed, trying again', { pipeline: this.delivery.pipeline, delayMs, error: asTributaryError(err) });
        // Cut short at shutdown, pause or delete: the loop then ends (a wait of up to max_interval held them).
        await sleep(delayMs, undefined, { signal: this.delivery.stopping }).catch(() => {});
        continue;
      }
      // Records polled while stopping are delivered too: fill() hands back all it holds.
      if (batch.length === 0) continue;
      await this.exporting;
      const exporting = this.deliver(batch).finally(() => {
        if (this.exporting === exporting) this.exporting = undefined;
      });
      this.exporting = exporting;
    }
  }

  /** Delivers a batch and queues its commit; waits only when a delivered batch already waits for one. */
  private async deliver(batch: ConsumedRecord[]): Promise<void> {
    const result = this.gaveUp ? 'abandoned' : await deliverBatch(batch, this.delivery);
    if (result === 'abandoned') this.gaveUp = true;
    const offsets = result === 'abandoned' ? [] : offsetsAfter(batch);
    // The sink is done with the records: the fetched memory they point into may be read into again.
    this.consumer.release?.(batch);
    if (result === 'abandoned') return;
    if (this.uncommitted.size > 0) await this.committing;
    for (const o of offsets) this.uncommitted.set(`${o.topic}\u0000${o.partition}`, o);
    this.committing ??= this.commitAll();
  }

  private async commitAll(): Promise<void> {
    let failures = 0;
    while (this.uncommitted.size > 0) {
      const offsets = [...this.uncommitted.values()];
      this.uncommitted.clear();
      try {
        await this.consumer.commit(offsets);
        failures = 0;
      } catch (err) {
        const error = asTributaryError(err);
        // A commit the log could not store (a full disk, a broker restarting) is made again, with
        // what is delivered meanwhile, until it lands: no new batch may come to commit it, and
        // the next start would deliver it again. One the group refused (the partitions moved on)
        // is not, nor one at a stop or a rebalance: their next owner reads the batch again.
        const wait = AbortSignal.any([this.commitRetries.signal, this.delivery.stopping]);
        const retry = error.retriable && !GROUP_STATE_ERRORS.has(error.code) && this.running && !wait.aborted;
        const delayMs = retry ? backoffDelay(this.delivery.retry, failures++) : undefined;
        this.delivery.logger.warn(retry ? 'commit failed, trying again' : 'commit failed; the batch will be delivered again', { pipeline: this.delivery.pipeline, delayMs, error });
        if (delayMs === undefined) continue;
        for (const o of offsets) {
          const key = `${o.topic}\u0000${o.partition}`;
          if (!this.uncommitted.has(key)) this.uncommitted.set(key, o);
        }
        // Cut short at a stop, pause, delete or rebalance: one more attempt, then no more.
        await sleep(delayMs, undefined, { signal: wait }).catch(() => {});
      }
    }
    this.committing = undefined;
  }

  /** Waits for the commits; one being retried gets one more attempt at once, and no further retries. */
  private async commitsLanded(): Promise<void> {
    this.commitRetries.abort();
    while (this.committing) await this.committing;
    this.commitRetries = new AbortController();
  }
}
