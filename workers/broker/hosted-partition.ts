// Runs on: broker thread.
import type { PartitionAssignment, PartitionStats } from '../../src/log/embedded/broker-protocol.js';
import { SharedOffsets } from '../../src/log/embedded/shared-offsets.js';
import type { Flushable } from './fsync-scheduler.js';
import { LongPolls } from './long-poll.js';
import { PartitionLog } from './partition-log.js';

/** A partition this broker leads: its storage, its parked fetches, how often it was synced, and its offsets as other threads see them. */
export class HostedPartition implements Flushable {
  readonly polls = new LongPolls();
  /** Stored again by publishOffsets() after anything that moves them. */
  readonly offsets = new SharedOffsets();
  private flushes = 0;

  private constructor(
    readonly topic: string,
    readonly partition: number,
    readonly leaderEpoch: number,
    readonly log: PartitionLog,
  ) {
    this.publishOffsets();
  }

  /** After an append or retention: the log start offset and high watermark into shared memory. */
  publishOffsets(): void {
    this.offsets.store(this.log.logStartOffset, this.log.highWatermark);
  }

  static open(a: PartitionAssignment, storage: { indexIntervalBytes: number; maxBatchBytes: number }): HostedPartition {
    const log = PartitionLog.open({ dir: a.dir, ...a.settings, ...storage });
    return new HostedPartition(a.topic, a.partition, a.leaderEpoch, log);
  }

  get unflushed(): boolean {
    return this.log.unflushed;
  }

  flush(): void {
    this.flushes++;
    this.log.flush();
  }

  flushInBackground(done: (err?: unknown) => void): void {
    this.log.flushInBackground((err, synced) => {
      if (synced) this.flushes++;
      done(err);
    });
  }

  stats(): PartitionStats {
    const { log } = this;
    return {
      topic: this.topic,
      partition: this.partition,
      logStartOffset: log.logStartOffset,
      highWatermark: log.highWatermark,
      sizeBytes: log.sizeBytes,
      unflushed: log.unflushed,
      flushes: this.flushes,
    };
  }
}
