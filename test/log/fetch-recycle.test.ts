import { setImmediate as nextTurn } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EmbeddedBackend } from '../../src/log/embedded/embedded-backend.js';
import { decodeRecordBatches } from '../../src/log/record-batch.js';
import { startEmbedded, useDataDirs } from './helpers.js';

const BATCHES = 30;
const PER_BATCH = 100;
/** ~100 KB per batch: over the size from which a broker reads into memory handed back to it. */
const VALUE_BYTES = 1000;
const recordValue = (offset: number) => `record-${offset}-`.padEnd(VALUE_BYTES, '.');

const offsetsAndValues = (batches: Buffer, from: number) =>
  decodeRecordBatches(batches, 'recycled', 0, from).map((r) => `${r.offset}:${r.value?.toString()}`);
const expected = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `${from + i}:${recordValue(from + i)}`);

describe('fetched memory handed back to the broker (recycleBatches)', () => {
  const dataDir = useDataDirs();
  let log: EmbeddedBackend;

  beforeAll(async () => {
    log = await startEmbedded(dataDir());
    await log.createTopic({ name: 'recycled', partitions: 1 });
    for (let b = 0; b < BATCHES; b++) {
      const records = Array.from({ length: PER_BATCH }, (_, i) => ({ value: Buffer.from(recordValue(b * PER_BATCH + i)) }));
      await log.produce('recycled', 0, records);
    }
  });
  afterAll(() => log.shutdown());

  it('gives a fetch served whole back to its broker, and later fetches read right into that memory', async () => {
    // 300 KB a fetch: asked of the broker as it is (no read-ahead window), served whole.
    for (let round = 0; round < 2; round++) {
      let offset = 0;
      while (offset < BATCHES * PER_BATCH) {
        const fetched = await log.fetchBatches({ topic: 'recycled', partition: 0, offset, maxBytes: 300 * 1024 });
        const next = offset + offsetsAndValues(fetched.batches, offset).length;
        expect(next).toBeGreaterThan(offset);
        expect(offsetsAndValues(fetched.batches, offset)).toEqual(expected(offset, next));
        const memory = fetched.batches.buffer;
        log.recycleBatches(fetched.batches);
        // Handed back (transferred to the broker thread) once the turn's messages are posted.
        await nextTurn();
        expect(memory.byteLength).toBe(0);
        offset = next;
      }
    }
  });

  it('keeps a fetch whose rest the read-ahead holds for the next one', async () => {
    const budget = 150 * 1024;
    const first = await log.fetchBatches({ topic: 'recycled', partition: 0, offset: 0, maxBytes: budget });
    const afterFirst = offsetsAndValues(first.batches, 0).length;
    // Going on where the first ended: the broker reads a whole window, one batch is served, the rest held.
    const second = await log.fetchBatches({ topic: 'recycled', partition: 0, offset: afterFirst, maxBytes: budget });
    const afterSecond = afterFirst + offsetsAndValues(second.batches, afterFirst).length;
    const memory = second.batches.buffer;
    const size = memory.byteLength;
    log.recycleBatches(second.batches);
    await nextTurn();
    expect(memory.byteLength).toBe(size);
    const third = await log.fetchBatches({ topic: 'recycled', partition: 0, offset: afterSecond, maxBytes: budget });
    expect(third.batches.buffer).toBe(memory);
    expect(offsetsAndValues(third.batches, afterSecond)).toEqual(expected(afterSecond, afterSecond + PER_BATCH));
  });
});
