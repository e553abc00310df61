import { describe, expect, it } from 'vitest';
import { type FetchedBatches, ReadAhead } from '../../src/log/embedded/read-ahead.js';
import { assignBatchOffset, decodeRecordBatches, encodeRecordBatch } from '../../src/log/record-batch.js';

const RECORDS_PER_BATCH = 10;

/** `count` batches of ten 100-byte records, offsets from `first` on, as a broker returns them. */
function fetched(first: number, count: number): FetchedBatches {
  const batches = Array.from({ length: count }, (_, b) => {
    const batch = encodeRecordBatch(Array.from({ length: RECORDS_PER_BATCH }, () => ({ value: Buffer.alloc(100, b) })));
    assignBatchOffset(batch, first + b * RECORDS_PER_BATCH, 0);
    return batch;
  });
  return { batches: Buffer.concat(batches), highWatermark: first + count * RECORDS_PER_BATCH, logStartOffset: 0 };
}

const BATCH_BYTES = fetched(0, 1).batches.length;
const offsetsOf = (f: FetchedBatches | undefined) => (f ? decodeRecordBatches(f.batches, 't', 0).map((r) => r.offset) : []);
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

describe('read-ahead of sequential readers', () => {
  it('asks for a window only once a reader goes on where its last fetch ended', () => {
    const ahead = new ReadAhead({ windowBytes: 64 * 1024 });
    expect(ahead.budget('t', 0, 0, BATCH_BYTES)).toBe(BATCH_BYTES);
    ahead.keep('t', 0, 0, BATCH_BYTES, fetched(0, 1));
    expect(ahead.budget('t', 0, 10, BATCH_BYTES)).toBe(64 * 1024);
    // Another offset is another reader, not known yet.
    expect(ahead.budget('t', 0, 500, BATCH_BYTES)).toBe(BATCH_BYTES);
    // A budget of a quarter window or more is asked for as it is.
    expect(ahead.budget('t', 0, 10, 16 * 1024 + 1)).toBe(16 * 1024 + 1);
  });

  it('answers within the budget and serves the rest to the fetches that follow, in order', () => {
    const ahead = new ReadAhead({ windowBytes: 64 * 1024 });
    const first = ahead.keep('t', 0, 0, BATCH_BYTES * 2, fetched(0, 5));
    expect(offsetsOf(first)).toEqual(range(0, 20));
    expect(ahead.take('t', 0, 30, BATCH_BYTES)).toBeUndefined();
    expect(ahead.take('t', 1, 20, BATCH_BYTES)).toBeUndefined();
    const second = ahead.take('t', 0, 20, 1);
    expect(offsetsOf(second)).toEqual(range(20, 30));
    expect(second?.highWatermark).toBe(50);
    expect(offsetsOf(ahead.take('t', 0, 30, BATCH_BYTES * 10))).toEqual(range(30, 50));
    // Drained: the next fetch goes to the broker, for a window.
    expect(ahead.take('t', 0, 50, BATCH_BYTES)).toBeUndefined();
    expect(ahead.budget('t', 0, 50, BATCH_BYTES)).toBe(64 * 1024);
  });

  it('holds no more than its limit for all readers together', () => {
    const ahead = new ReadAhead({ windowBytes: BATCH_BYTES * 4, maxHeldBytes: BATCH_BYTES * 5 });
    ahead.keep('t', 0, 0, BATCH_BYTES, fetched(0, 4));
    ahead.keep('t', 1, 0, BATCH_BYTES, fetched(0, 1));
    // Three batches held: a second window would pass the limit.
    expect(ahead.budget('t', 1, 10, BATCH_BYTES)).toBe(BATCH_BYTES);
    ahead.take('t', 0, 10, BATCH_BYTES * 3);
    expect(ahead.budget('t', 1, 10, BATCH_BYTES)).toBe(BATCH_BYTES * 4);
    // Windows asked for at once: what would pass the limit is answered, not held.
    ahead.keep('t', 2, 0, BATCH_BYTES, fetched(0, 1));
    ahead.keep('t', 1, 10, BATCH_BYTES, fetched(10, 4));
    expect(offsetsOf(ahead.keep('t', 2, 10, BATCH_BYTES, fetched(10, 4)))).toEqual(range(10, 20));
    expect(ahead.take('t', 2, 20, BATCH_BYTES)).toBeUndefined();
    expect(offsetsOf(ahead.take('t', 1, 20, BATCH_BYTES))).toEqual(range(20, 30));
  });

  it('follows a few readers per partition and forgets the one idle longest', () => {
    const ahead = new ReadAhead({ windowBytes: 64 * 1024, cursorsPerPartition: 2 });
    ahead.keep('t', 0, 0, BATCH_BYTES, fetched(0, 2));
    ahead.keep('t', 0, 100, BATCH_BYTES, fetched(100, 2));
    expect(offsetsOf(ahead.take('t', 0, 10, BATCH_BYTES))).toEqual(range(10, 20));
    // The reader at 100 was idle longest, so a third one takes its place.
    ahead.keep('t', 0, 200, BATCH_BYTES, fetched(200, 2));
    expect(ahead.take('t', 0, 110, BATCH_BYTES)).toBeUndefined();
    expect(offsetsOf(ahead.take('t', 0, 210, BATCH_BYTES))).toEqual(range(210, 220));
  });

  it('serves nothing held from before the leaders lost bytes (retention, recovery)', () => {
    let changes = 0;
    const ahead = new ReadAhead({ windowBytes: 64 * 1024, changes: () => changes });
    ahead.keep('t', 0, 0, BATCH_BYTES, fetched(0, 3), changes);
    changes++;
    expect(ahead.take('t', 0, 10, BATCH_BYTES)).toBeUndefined();
  });

  it('reads the window after a served fetch at once, serves it to the next fetch, and drops it when nobody asks', async () => {
    const asked: number[] = [];
    const read = async (_topic: string, _partition: number, offset: number) => {
      asked.push(offset);
      return fetched(offset, 2);
    };
    const ahead = new ReadAhead({ windowBytes: 64 * 1024, holdMs: 50, read });
    const first = ahead.keep('t', 0, 0, BATCH_BYTES * 2, { ...fetched(0, 2), highWatermark: 100 });
    ahead.readNext('t', 0, first, BATCH_BYTES * 2);
    expect(asked).toEqual([20]);
    await ahead.reading('t', 0, 20);
    const second = ahead.take('t', 0, 20, BATCH_BYTES * 2);
    expect(offsetsOf(second)).toEqual(range(20, 40));
    // Not past the high watermark: the reader's next fetch would wait on a long poll.
    ahead.readNext('t', 0, second!, BATCH_BYTES * 2);
    expect(asked).toEqual([20]);
    const third = ahead.keep('t', 0, 40, BATCH_BYTES * 2, { ...fetched(40, 2), highWatermark: 100 });
    ahead.readNext('t', 0, third, BATCH_BYTES * 2);
    await ahead.reading('t', 0, 60);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(ahead.take('t', 0, 60, BATCH_BYTES * 2)).toBeUndefined();
  });
});
