/** Runs on: each thread that reads the log (the main thread, sink workers). */
import { batchEnd, LOG_OVERHEAD, readBatchHeader } from '../record-batch.js';

/** What a broker answered to a fetch: whole batches from the one holding the offset on. */
export interface FetchedBatches {
  batches: Buffer;
  highWatermark: number;
  logStartOffset: number;
}

/** Batches read for a reader's next fetches, and the leader's change count when they were asked for. */
interface Held {
  fetched: FetchedBatches;
  since: number;
}

/** Where a sequential reader will fetch next, and the batches fetched (or being fetched) ahead for it. */
interface Cursor {
  next: number;
  ahead?: Held;
  /** The next window, asked of the broker while the reader handles the last one. */
  reading?: Promise<void>;
  /** Drops what was read ahead and never asked for. */
  expiry?: NodeJS.Timeout;
}

/** Reads a partition's batches from `offset` on, `maxBytes` worth, from its leader (no long poll). */
export type ReadFromLeader = (topic: string, partition: number, offset: number, maxBytes: number) => Promise<FetchedBatches>;

export interface ReadAheadOptions {
  /** Bytes asked of the broker when a reader continues where its last fetch ended. */
  windowBytes: number;
  /** Bytes held for all readers together; past it, fetches go to the brokers as asked. */
  maxHeldBytes: number;
  /** Readers tracked per partition (consumer groups, the admin API's pages). */
  cursorsPerPartition: number;
  /** How long a window read ahead is kept for a reader that does not come back for it. */
  holdMs: number;
  /**
   * How many times the leaders lost bytes they may have served (retention, recovery, a dropped
   * topic): batches read before a change are not served. Constant when not given.
   */
  changes: () => number;
  /** When given, the next window is read as soon as a reader's fetch is served (see readNext). */
  read?: ReadFromLeader;
}

const DEFAULTS: ReadAheadOptions = {
  windowBytes: 1024 * 1024,
  maxHeldBytes: 32 * 1024 * 1024,
  cursorsPerPartition: 4,
  holdMs: 1000,
  changes: () => 0,
};

/**
 * Read-ahead on the main thread for readers that fetch a partition in order with small budgets.
 * A fetch that starts where an earlier one ended asks its broker for a whole window, answers
 * with its own budget's worth and keeps the rest for the fetches that follow, as Kafka's consumer
 * buffers max.partition.fetch.bytes and hands out max.poll.records. A reader of 100 records at a
 * time then costs a broker round trip per window instead of per fetch. With `read`, the window
 * after a served fetch is asked for at once (readNext), so a reader that comes back for it (a
 * Kafka client sends its next Fetch on receiving the last) gets it without waiting for the
 * broker thread's read. Batches below the high watermark never change while the leader's change
 * count stays the same (retention, recovery and dropped topics add to it), so what is held stays
 * true; the high watermark and log start reported with it are those of the fetch that read it,
 * as a buffered Kafka record's are.
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
    if (!cursor || !ahead) return undefined;
    if (ahead.since !== this.options.changes()) {
      this.release(cursor);
      return undefined;
    }
    return this.split(cursor, ahead, maxBytes);
  }

  /** Resolves once the window being read ahead for a fetch at `offset` is held (or failed); undefined when none is. */
  reading(topic: string, partition: number, offset: number): Promise<void> | undefined {
    return this.cursorAt(topic, partition, offset)?.reading;
  }

  /**
   * After serving a fetch that ended below the high watermark with nothing held for what
   * follows: asks the leader for the next window (what the reader's next fetch would ask, or a
   * whole window for a small budget), held for `holdMs`. Within maxHeldBytes, counting the
   * windows being read.
   */
  readNext(topic: string, partition: number, served: FetchedBatches, maxBytes: number): void {
    const { read, windowBytes, maxHeldBytes, holdMs, changes } = this.options;
    const next = served.batches.length > 0 ? nextOffsetAfter(served.batches) : -1;
    if (!read || next < 0 || next >= served.highWatermark) return;
    const cursor = this.cursorAt(topic, partition, next);
    const bytes = maxBytes * 4 > windowBytes ? maxBytes : windowBytes;
    if (!cursor || cursor.ahead || cursor.reading || this.heldBytes + bytes > maxHeldBytes) return;
    this.heldBytes += bytes;
    const since = changes();
    cursor.reading = read(topic, partition, next, bytes).then(
      (fetched) => {
        this.heldBytes -= bytes;
        cursor.reading = undefined;
        // The reader went elsewhere meanwhile (or its cursor was forgotten): nothing to hold.
        if (cursor.next !== next || cursor.ahead || this.heldBytes + fetched.batches.length > maxHeldBytes) return;
        cursor.ahead = { fetched, since };
        this.heldBytes += fetched.batches.length;
        cursor.expiry = setTimeout(() => this.release(cursor), holdMs).unref();
      },
      () => {
        // The fetch itself goes to the leader, which answers with the error.
        this.heldBytes -= bytes;
        cursor.reading = undefined;
      },
    );
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
  keep(topic: string, partition: number, offset: number, maxBytes: number, fetched: FetchedBatches, since = 0): FetchedBatches {
    const cursor = this.cursorAt(topic, partition, offset) ?? this.addCursor(topic, partition);
    cursor.next = offset;
    return this.split(cursor, { fetched, since }, maxBytes);
  }

  /** Serves `maxBytes` worth of whole batches (at least one) from `held`, holds the rest. */
  private split(cursor: Cursor, held: Held, maxBytes: number): FetchedBatches {
    const { fetched } = held;
    const { batches } = fetched;
    let end = 0;
    let last = -1;
    while (end + LOG_OVERHEAD <= batches.length) {
      const next = batchEnd(batches, end);
      if (next > batches.length || (last >= 0 && next > maxBytes)) break;
      last = end;
      end = next;
    }
    const lastBatch = last >= 0 ? readBatchHeader(batches, last) : null;
    if (lastBatch) cursor.next = lastBatch.baseOffset + lastBatch.lastOffsetDelta + 1;
    this.release(cursor);
    const rest = batches.length - end;
    // Checked here too: fetches that asked for a window at once may together pass the limit.
    if (end > 0 && rest > 0 && this.heldBytes + rest <= this.options.maxHeldBytes) {
      cursor.ahead = { fetched: { ...fetched, batches: batches.subarray(end) }, since: held.since };
      this.heldBytes += rest;
    }
    return { ...fetched, batches: batches.subarray(0, end) };
  }

  private release(cursor: Cursor): void {
    if (cursor.ahead) this.heldBytes -= cursor.ahead.fetched.batches.length;
    cursor.ahead = undefined;
    clearTimeout(cursor.expiry);
    cursor.expiry = undefined;
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

/** The offset after the last of `batches`. */
function nextOffsetAfter(batches: Buffer): number {
  let pos = 0;
  let next = -1;
  while (pos + LOG_OVERHEAD <= batches.length) {
    const header = readBatchHeader(batches, pos);
    if (!header) break;
    next = header.baseOffset + header.lastOffsetDelta + 1;
    pos += LOG_OVERHEAD + header.batchLength;
  }
  return next;
}

const keyOf = (topic: string, partition: number) => `${topic}\u0000${partition}`;
