import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { EmbeddedBackend } from '../../src/log/embedded/embedded-backend.js';
import { wholeBatchesBelow } from '../../src/log/embedded/segment-files.js';
import { assignBatchOffset, decodeRecordBatches, encodeRecordBatch } from '../../src/log/record-batch.js';
import { textRecords } from './conformance.js';
import { startEmbedded, useDataDirs } from './helpers.js';

/** Three batches of two records each, at offsets 10, 12 and 14, as they lie in a segment. */
function threeBatches(): { bytes: Buffer; ends: number[] } {
  const batches = [10, 12, 14].map((base) => {
    const batch = encodeRecordBatch(textRecords([`${base}`, `${base + 1}`]));
    assignBatchOffset(batch, base, 0);
    return batch;
  });
  let end = 0;
  return { bytes: Buffer.concat(batches), ends: batches.map((b) => (end += b.length)) };
}

describe('the whole batches a segment file read may serve (wholeBatchesBelow)', () => {
  it('takes the whole batches that start at the offset asked for and end below the high watermark', () => {
    const { bytes, ends } = threeBatches();
    expect(wholeBatchesBelow(bytes, 10, 16)).toBe(ends[2]);
    // A batch at or past the high watermark may still be being appended.
    expect(wholeBatchesBelow(bytes, 10, 14)).toBe(ends[1]);
    expect(wholeBatchesBelow(bytes, 10, 13)).toBe(ends[0]);
    expect(wholeBatchesBelow(bytes, 10, 11)).toBe(0);
  });

  it('stops before a batch cut short by the end of what was read', () => {
    const { bytes, ends } = threeBatches();
    expect(wholeBatchesBelow(bytes.subarray(0, ends[2] - 1), 10, 16)).toBe(ends[1]);
    expect(wholeBatchesBelow(bytes.subarray(0, ends[0] + 20), 10, 16)).toBe(ends[0]);
    expect(wholeBatchesBelow(bytes.subarray(0, 30), 10, 16)).toBe(0);
  });

  it('serves nothing when the first batch is not the one asked for (a stale position)', () => {
    const { bytes } = threeBatches();
    expect(wholeBatchesBelow(bytes, 12, 16)).toBe(0);
    expect(wholeBatchesBelow(bytes, 9, 16)).toBe(0);
  });
});

/** The records of a fetch from `offset` on, as "offset:value", and whether its memory went back to the broker thread. */
async function fetchFrom(log: EmbeddedBackend, topic: string, offset: number, maxBytes: number): Promise<{ records: string[]; toBroker: boolean }> {
  const fetched = await log.fetchBatches({ topic, partition: 0, offset, maxBytes });
  const records = decodeRecordBatches(fetched.batches, topic, 0, offset).map((r) => `${r.offset}:${r.value?.toString()}`);
  const memory = fetched.batches.buffer;
  log.recycleBatches(fetched.batches);
  await nextTurn();
  return { records, toBroker: memory.byteLength === 0 };
}

describe('a sequential reader served from the segment files on the main thread', () => {
  const dataDir = useDataDirs();
  const value = (n: number) => `${n}-`.padEnd(900, 'v');

  it('reads every record once, in order, across segment rolls, asking the broker only where a segment ends', async () => {
    const log = await startEmbedded(dataDir());
    try {
      // Segments of ~20 KB, batches of ~4.6 KB: a 10 KB fetch holds two batches, a segment four.
      await log.createTopic({ name: 'rolled', partitions: 1, segmentBytes: 20 * 1024 });
      const BATCHES = 40;
      for (let b = 0; b < BATCHES; b++) await log.produce('rolled', 0, textRecords(Array.from({ length: 5 }, (_, i) => value(b * 5 + i))));
      const seen: string[] = [];
      let fromBroker = 0;
      let fetches = 0;
      while (seen.length < BATCHES * 5) {
        const { records, toBroker } = await fetchFrom(log, 'rolled', seen.length, 10 * 1024);
        expect(records.length).toBeGreaterThan(0);
        seen.push(...records);
        fetches++;
        if (toBroker) fromBroker++;
      }
      expect(seen).toEqual(Array.from({ length: BATCHES * 5 }, (_, n) => `${n}:${value(n)}`));
      // The first fetch, and one after each of the ~10 segment ends; the rest were read here.
      expect(fromBroker).toBeGreaterThanOrEqual(1);
      expect(fromBroker).toBeLessThan(fetches / 2);
    } finally {
      await log.shutdown();
    }
  });

  it('serves nothing past the high watermark while a producer appends, and every record once', async () => {
    const log = await startEmbedded(dataDir());
    try {
      await log.createTopic({ name: 'live', partitions: 1 });
      const BATCHES = 80;
      const producing = (async () => {
        for (let b = 0; b < BATCHES; b++) {
          await log.produce('live', 0, textRecords(Array.from({ length: 10 }, (_, i) => value(b * 10 + i))));
          if (b % 3 === 0) await nextTurn();
        }
      })();
      const seen: string[] = [];
      while (seen.length < BATCHES * 10) {
        const { records } = await fetchFrom(log, 'live', seen.length, 32 * 1024);
        const [p] = (await log.describeTopic('live')).partitions;
        // Nothing served is at or past the high watermark the leader has published.
        for (const r of records) expect(Number(r.split(':')[0])).toBeLessThan(p.highWatermark);
        seen.push(...records);
      }
      await producing;
      expect(seen).toEqual(Array.from({ length: BATCHES * 10 }, (_, n) => `${n}:${value(n)}`));
    } finally {
      await log.shutdown();
    }
  });
});
