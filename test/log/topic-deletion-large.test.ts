/**
 * Runs on: main thread (tests). Deleting a topic of thousands of segments: its files take a while
 * to remove, and the broker that led it leads other partitions too (the receiver's, say). Their
 * writes must not wait for the removal, nor for a sync of what the deleted partitions hold: with the
 * broker removing the files on its own thread, a topic of 8,000 segments held every append to that
 * broker for 2 s, and closing one still being written (its segments not yet synced) 1.3 s.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readAll, textRecords, values } from './conformance.js';
import { startEmbedded, useDataDirs } from './helpers.js';

const dataDir = useDataDirs();

describe('deleting a topic of many segments', () => {
  it("does not hold the writes to the other partitions of its broker while its files are removed", async () => {
    const dir = dataDir();
    // Nothing synced before the deletion, as for a topic written up to it.
    const backend = await startEmbedded(dir, { brokers: 1, fsync: 'interval', fsync_interval: 3_600_000 });
    try {
      await backend.createTopic({ name: 'huge', partitions: 1, segmentBytes: 1024, retentionMs: -1 });
      await backend.createTopic({ name: 'busy', partitions: 1 });
      // One batch per segment: 3,000 segments, 6,000 files.
      for (let i = 0; i < 3_000; i++) await backend.produce('huge', 0, textRecords([`${i}`.padEnd(900, '.')]));
      const hugeDir = join(dir, 'topics', 'huge-0');
      expect(readdirSync(hugeDir).length).toBeGreaterThan(6_000);

      const deleting = backend.deleteTopic('huge');
      // Sent to the broker after the deletion: answered while the deleted topic's files are still being removed.
      await backend.produce('busy', 0, textRecords(['written during the deletion']));
      expect(existsSync(hugeDir)).toBe(true);
      await deleting;

      expect(existsSync(hugeDir)).toBe(false);
      expect((await backend.listTopics()).map((t) => t.name)).toEqual(['busy']);
      expect(values(await readAll(backend, 'busy', 0))).toEqual(['written during the deletion']);
    } finally {
      await backend.shutdown();
    }
  });
});
