import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { EmbeddedBackend } from '../../src/log/embedded/embedded-backend.js';
import { decodeRecordBatches } from '../../src/log/record-batch.js';
import { expectLogError, textRecords } from './conformance.js';
import { startEmbedded, useDataDirs } from './helpers.js';

/** The records of a fetch from `offset` on (a fetch starts at the batch holding it), as "offset:value". */
async function fetchFrom(log: EmbeddedBackend, topic: string, offset: number, maxBytes: number): Promise<string[]> {
  const fetched = await log.fetchBatches({ topic, partition: 0, offset, maxBytes });
  const records = decodeRecordBatches(fetched.batches, topic, 0, offset);
  log.recycleBatches(fetched.batches);
  return records.map((r) => `${r.offset}:${r.value?.toString()}`);
}

describe('the next window read ahead of a sequential reader (Kafka Fetch)', () => {
  const dataDir = useDataDirs();

  it('gives a reader fetching in order while a producer appends every record once, in order', async () => {
    const log = await startEmbedded(dataDir());
    try {
      await log.createTopic({ name: 'appended', partitions: 1 });
      const BATCHES = 60;
      const PER_BATCH = 40;
      const value = (n: number) => `${n}-`.padEnd(1000, 'v');
      const producing = (async () => {
        for (let b = 0; b < BATCHES; b++) {
          await log.produce('appended', 0, textRecords(Array.from({ length: PER_BATCH }, (_, i) => value(b * PER_BATCH + i))));
          if (b % 5 === 0) await sleep(1);
        }
      })();
      const seen: string[] = [];
      // 100 KB a fetch, as a Kafka client asks (a few batches each): each served fetch starts the next read.
      while (seen.length < BATCHES * PER_BATCH) {
        const got = await fetchFrom(log, 'appended', seen.length, 100 * 1024);
        if (got.length === 0) await sleep(1);
        seen.push(...got);
      }
      await producing;
      expect(seen).toEqual(Array.from({ length: BATCHES * PER_BATCH }, (_, n) => `${n}:${value(n)}`));
    } finally {
      await log.shutdown();
    }
  });

  it('does not serve a window read ahead once retention deleted its segment', async () => {
    const log = await startEmbedded(dataDir());
    try {
      await log.createTopic({ name: 'short', partitions: 1, segmentBytes: 2048, retentionBytes: 4096 });
      const value = 'r'.repeat(900);
      for (let i = 0; i < 12; i++) await log.produce('short', 0, textRecords([`${i}:${value}`]));
      // A fetch reads one segment (two records); the next one, from offset 2, is read ahead.
      const first = await fetchFrom(log, 'short', 0, 1024 * 1024);
      expect(first.map((r) => r.split(':')[0])).toEqual(['0', '1']);
      await sleep(50);
      await log.enforceRetention();
      const [p] = (await log.describeTopic('short')).partitions;
      expect(p.logStartOffset).toBeGreaterThan(2);
      await expectLogError(log.fetchBatches({ topic: 'short', partition: 0, offset: 2, maxBytes: 1024 * 1024 }), 'OFFSET_OUT_OF_RANGE');
    } finally {
      await log.shutdown();
    }
  });

});
