/** Runs on: each thread that reads the log (the main thread, sink workers). */
import { LOG_OVERHEAD, readBatchHeader } from '../record-batch.js';

/** What a broker answered to a fetch: whole batches from the one holding the offset on. */
export interface FetchedBatches {
  batches: Buffer;
  highWatermark: number;
  logStartOffset: number;
}

/** Where a sequential reader will fetch next, and the batches fetched ahead for it. */
interface Cursor {
  next: number;
  ahead?: FetchedBatches;
}

export interface ReadAheadOptions {
  /** Bytes asked of the broker when a reader continues where its last fetch ended. */
  windowBytes: number;
  /** Bytes held for all readers together; past it, fetches go to the brokers as asked. */
  maxHeldBytes: number;
  /** Readers tracked per partition (consumer groups, the admin API's pages). */
  cursorsPerPartition: number;
}

const DEFAULTS: ReadAheadOptions = { windowBytes: 1024 * 1024, maxHeldBytes: 32 * 1024 * 1024, cursorsPerPartition: 4 };

/**
 * Read-ahead on the main thread for readers that fetch a partition in order with small budgets.
 * A fetch that starts where an earlier one ended asks its broker for a whole window, answers
 * with its own budget's worth and keeps the rest for the fetches that follow, as Kafka's consumer
 * buffers max.partition.fetch.bytes and hands out max.poll.records. A reader of 100 records at a
 * time then costs a broker round trip per window instead of per fetch. Batches below the high
 * watermark never change (no topic is deleted, and only an unacknowledged tail is ever
 * truncated), so what is held stays true; the high watermark and log start reported with it are
 * those of the fetch that read it, as a buffered Kafka record's are.
 */
export class ReadAhead {
  private readonly options: ReadAheadOptions;
  private readonly cursors = new Map<string, Cursor[]>();
  private heldBytes = 0;

  constructor(options: Partial<ReadAheadOptions> = {}) {
    this.options = { ...DEFAULTS, ...options };
  }

  /** The next fetch's batches when they were read ahead; undefined when a broker must answer. */
  take(topic: string, partition: number, offset: number, maxBytes: number): FetchedBatches | undefined {
    const cursor = this.cursorAt(topic, partition, offset);
    const ahead = cursor?.ahead;
    return cursor && ahead ? this.split(cursor, ahead, maxBytes) : undefined;
  }

  /** Bytes to ask the broker for: a window when the fetch goes on where an earlier one ended. */
  budget(topic: string, partition: number, offset: number, maxBytes: number): number {
    const { windowBytes, maxHeldBytes } = this.options;
    // A budget of a quarter window already spreads a round trip over many records.
    if (maxBytes * 4 > windowBytes || this.heldBytes + windowBytes > maxHeldBytes) return maxBytes;
    return this.cursorAt(topic, partition, offset) ? windowBytes : maxBytes;
  }

  /**
   * What the broker answered to a fetch at `offset`, cut to `maxBytes`; the rest is kept for the
   * reader's next fetch. Every answer starts a cursor, so a reader is known from its second fetch.
   */
  keep(topic: string, partition: number, offset: number, maxBytes: number, fetched: FetchedBatches): FetchedBatches {
    const cursor = this.cursorAt(topic, partition, offset) ?? this.addCursor(topic, partition);
    cursor.next = offset;
    return this.split(cursor, fetched, maxBytes);
  }

  /** Serves `maxBytes` worth of whole batches (at least one) from `fetched`, holds the rest. */
  private split(cursor: Cursor, fetched: FetchedBatches, maxBytes: number): FetchedBatches {
    const { batches } = fetched;
    let end = 0;
    let last = -1;
    while (end + LOG_OVERHEAD <= batches.length) {
      const batchEnd = end + LOG_OVERHEAD + batches.readInt32BE(end + 8);
      if (batchEnd > batches.length || (last >= 0 && batchEnd > maxBytes)) break;
      last = end;
      end = batchEnd;
    }
    const lastBatch = last >= 0 ? readBatchHeader(batches, last) : null;
    if (lastBatch) cursor.next = lastBatch.baseOffset + lastBatch.lastOffsetDelta + 1;
    this.release(cursor);
    const rest = batches.length - end;
    // Checked here too: fetches that asked for a window at once may together pass the limit.
    if (end > 0 && rest > 0 && this.heldBytes + rest <= this.options.maxHeldBytes) {
      cursor.ahead = { ...fetched, batches: batches.subarray(end) };
      this.heldBytes += rest;
    }
    return { ...fetched, batches: batches.subarray(0, end) };
  }

  private release(cursor: Cursor): void {
    if (cursor.ahead) this.heldBytes -= cursor.ahead.batches.length;
    cursor.ahead = undefined;
  }

  /** The partition's cursor waiting at `offset`, moved to the back of the eviction order. */
  private cursorAt(topic: string, partition: number, offset: number): Cursor | undefined {
    const list = this.cursors.get(keyOf(topic, partition));
    const i = list ? list.findIndex((c) => c.next === offset) : -1;
    if (!list || i < 0) return undefined;
    const [cursor] = list.splice(i, 1);
    list.push(cursor);
    return cursor;
  }

  /** A new cursor for the partition; past the limit, the one used longest ago makes room. */
  private addCursor(topic: string, partition: number): Cursor {
    const key = keyOf(topic, partition);
    const list = this.cursors.get(key) ?? [];
    this.cursors.set(key, list);
    if (list.length >= this.options.cursorsPerPartition) {
      const oldest = list.shift();
      if (oldest) this.release(oldest);
    }
    const cursor: Cursor = { next: -1 };
    list.push(cursor);
    return cursor;
  }
}

const keyOf = (topic: string, partition: number) => `${topic}\u0000${partition}`;
