// Runs on: broker thread.
import type { PartitionAssignment, PartitionStats } from '../../src/log/embedded/broker-protocol.js';
import type { Flushable } from './fsync-scheduler.js';
import { LongPolls } from './long-poll.js';
import { PartitionLog } from './partition-log.js';

/** A partition this broker leads: its storage, its parked fetches, and how often it was synced. */
export class HostedPartition implements Flushable {
  readonly polls = new LongPolls();
  private flushes = 0;

  private constructor(
    readonly topic: string,
    readonly partition: number,
    readonly leaderEpoch: number,
    readonly log: PartitionLog,
  ) {}

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
