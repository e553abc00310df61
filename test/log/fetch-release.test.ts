import { describe, expect, it } from 'vitest';
import { FetchReader } from '../../src/log/embedded/fetch-reader.js';
import { encodeRecordBatch } from '../../src/log/record-batch.js';

const PER_BATCH = 50;
const BATCHES = 3;
const recordValue = (offset: number) => `record-${offset}`;

/** A leader's answer as a broker sends it: whole batches in an ArrayBuffer of their own. */
function answer(): ArrayBuffer {
  const batches = Array.from({ length: BATCHES }, (_, b) =>
    encodeRecordBatch(
      Array.from({ length: PER_BATCH }, (_, i) => ({ value: Buffer.from(recordValue(b * PER_BATCH + i)) })),
      { baseOffset: b * PER_BATCH },
    ),
  );
  const bytes = Buffer.concat(batches);
  const buffer = new ArrayBuffer(bytes.length);
  new Uint8Array(buffer).set(bytes);
  return buffer;
}

/** A sink worker's reader (no next window read ahead) over a leader that answers with `answer()`. */
function reader() {
  const given: ArrayBuffer[] = [];
  const fetches = new FetchReader(
    async () => {
      const buffer = answer();
      return { batches: { buffer, byteOffset: 0, length: buffer.byteLength }, highWatermark: PER_BATCH * BATCHES, logStartOffset: 0 };
    },
    () => {},
    { changes: () => 0, giveBack: (_topic, _partition, buffer) => given.push(buffer) },
  );
  return { fetches, given };
}

describe('fetched memory of a sink worker given back once its records are released', () => {
  it('hands the buffer back only when every record decoded from it is released, and records read right until then', async () => {
    const { fetches, given } = reader();
    const { records } = await fetches.fetch({ topic: 't', partition: 0, offset: 0, maxBytes: 1024 * 1024 });
    expect(records).toHaveLength(PER_BATCH * BATCHES);
    const memory = records[0].valueBytes.buffer;

    // Delivered in two batches: after the first, the rest still reads as fetched.
    fetches.release(records.slice(0, 100));
    expect(given).toEqual([]);
    expect(records.slice(100).map((r) => r.value?.toString())).toEqual(Array.from({ length: 50 }, (_, i) => recordValue(100 + i)));

    fetches.release(records.slice(100));
    expect(given).toEqual([memory]);
  });

  it('keeps a buffer whose records are not all released (skipped or dropped at a rebalance)', async () => {
    const { fetches, given } = reader();
    const { records } = await fetches.fetch({ topic: 't', partition: 0, offset: 0, maxBytes: 1024 * 1024 });
    fetches.release(records.slice(1));
    expect(given).toEqual([]);
    expect(records[0].value?.toString()).toBe(recordValue(0));
  });

  it('counts only the records at or after the fetched offset: those before it were never handed out', async () => {
    const { fetches, given } = reader();
    // Offset 120 lies inside the third batch: its first 20 records are decoded past, not returned.
    const { records } = await fetches.fetch({ topic: 't', partition: 0, offset: 120, maxBytes: 1024 * 1024 });
    expect(records.map((r) => r.offset)).toEqual(Array.from({ length: 30 }, (_, i) => 120 + i));
    fetches.release(records);
    expect(given).toHaveLength(1);
  });
});
