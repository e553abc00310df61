/** Runs on: a sink worker. */
import type { Consumer } from '../../groups/types.js';
import type { ConsumedRecord } from '../../log/types.js';

/** The pipeline's `batch` block: a batch closes at max_records or max_bytes, or max_wait after its first record. */
export interface BatchPolicy {
  max_records: number;
  max_bytes: number;
  max_wait: number;
}

/** How long an idle poll waits for data, so that shutdown is noticed soon. */
const IDLE_POLL_MS = 250;

function sizeOf(record: ConsumedRecord): number {
  return Math.max(0, record.valueSize) + Math.max(0, record.keySize);
}

/**
 * Fills one batch from the consumer. Records polled but not yet delivered are held in `pending`,
 * so the rebalance callback can deliver them before the partitions move.
 */
export class Batcher {
  pending: ConsumedRecord[] = [];
  private bytes = 0;

  constructor(
    private readonly consumer: Consumer,
    private readonly policy: BatchPolicy,
  ) {}

  /** Polls until the batch is full or its wait is over; returns it (possibly empty when stopping or idle). */
  async fill(isRunning: () => boolean): Promise<ConsumedRecord[]> {
    const { max_records, max_bytes, max_wait } = this.policy;
    let deadline = 0;
    while (isRunning() && this.pending.length < max_records && this.bytes < max_bytes) {
      const waiting = this.pending.length > 0;
      const wait = waiting ? deadline - performance.now() : IDLE_POLL_MS;
      if (waiting && wait <= 0) break;
      const records = await this.consumer.poll({
        maxRecords: max_records - this.pending.length,
        maxBytes: max_bytes - this.bytes,
        maxWaitMs: Math.max(0, wait),
        // Records that come while a batch would gather anyway are fetched together.
        lingerMs: max_wait,
      });
      if (records.length === 0) {
        if (!waiting) return this.take();
        continue;
      }
      // The monotonic clock: a wall clock set back would hold the batch until it caught up.
      if (this.pending.length === 0) deadline = performance.now() + max_wait;
      for (const r of records) {
        this.pending.push(r);
        this.bytes += sizeOf(r);
      }
    }
    return this.take();
  }

  take(): ConsumedRecord[] {
    const batch = this.pending;
    this.pending = [];
    this.bytes = 0;
    return batch;
  }
}
