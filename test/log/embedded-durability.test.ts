import { appendFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { createLogger } from '../../src/telemetry/logger.js';
import { Telemetry } from '../../src/telemetry/telemetry.js';
import { readAll, textRecords, values } from './conformance.js';
import { startEmbedded, useDataDirs } from './helpers.js';

const dataDir = useDataDirs();

async function partitionStats(backend: Awaited<ReturnType<typeof startEmbedded>>, topic: string) {
  return (await backend.partitionStats()).find((s) => s.topic === topic && s.partition === 0)!;
}

describe('embedded log durability', () => {
  it('fsync always: answers only synced appends, one sync serving concurrent writers', async () => {
    const backend = await startEmbedded(dataDir(), { fsync: 'always' });
    try {
      await backend.createTopic({ name: 'synced', partitions: 1 });
      const writers = 40;
      const results = await Promise.all(Array.from({ length: writers }, (_, i) => backend.produce('synced', 0, textRecords([`w${i}`]))));
      expect(new Set(results.map((r) => r.baseOffset)).size).toBe(writers);
      const stats = await partitionStats(backend, 'synced');
      expect(stats.unflushed).toBe(false);
      expect(stats.flushes).toBeGreaterThanOrEqual(1);
      expect(stats.flushes).toBeLessThan(writers);
    } finally {
      await backend.shutdown();
    }
  });

  it('fsync interval: syncs written data on the timer', async () => {
    const backend = await startEmbedded(dataDir(), { fsync: 'interval', fsync_interval: 20 });
    try {
      await backend.createTopic({ name: 'timed', partitions: 1 });
      await backend.produce('timed', 0, textRecords(['a']));
      await vi.waitFor(async () => expect((await partitionStats(backend, 'timed')).unflushed).toBe(false), { timeout: 5_000 });
      expect((await partitionStats(backend, 'timed')).flushes).toBeGreaterThanOrEqual(1);
    } finally {
      await backend.shutdown();
    }
  });

  it('fsync never: leaves syncing to the OS until a clean shutdown', async () => {
    const dir = dataDir();
    const backend = await startEmbedded(dir, { fsync: 'never' });
    await backend.createTopic({ name: 'lazy', partitions: 1 });
    await backend.produce('lazy', 0, textRecords(['a', 'b']));
    const stats = await partitionStats(backend, 'lazy');
    expect(stats).toMatchObject({ unflushed: true, flushes: 0 });
    await backend.shutdown();
    const reopened = await startEmbedded(dir);
    try {
      expect(values(await readAll(reopened, 'lazy', 0))).toEqual(['a', 'b']);
    } finally {
      await reopened.shutdown();
    }
  });

  it('cuts garbage off a segment tail at start, logs what it cut and counts it', async () => {
    const dir = dataDir();
    const first = await startEmbedded(dir);
    await first.createTopic({ name: 'torn', partitions: 1 });
    await first.produce('torn', 0, textRecords(['kept']));
    await first.shutdown();
    const partitionDir = join(dir, 'topics', 'torn-0');
    const segment = readdirSync(partitionDir).find((f) => f.endsWith('.log'))!;
    appendFileSync(join(partitionDir, segment), Buffer.alloc(100, 0xab));

    const lines: string[] = [];
    const telemetry = new Telemetry();
    const logger = createLogger('test', { level: 'warn', write: (line) => lines.push(line) });
    const second = await startEmbedded(dir, {}, { telemetry, logger });
    try {
      expect(lines.some((l) => l.includes('recovery cut') && l.includes('"topic":"torn"') && l.includes('"truncatedBytes":100'))).toBe(true);
      expect(await telemetry.metricsText()).toMatch(/tributary_log_recovery_truncated_bytes_total\{topic="torn",partition="0"\} 100/);
      expect(values(await readAll(second, 'torn', 0))).toEqual(['kept']);
      expect((await second.produce('torn', 0, textRecords(['next']))).baseOffset).toBe(1);
    } finally {
      await second.shutdown();
    }
  });

  it('warns, naming the partition, when the directory of a partition in the metadata is gone, and serves it empty', async () => {
    const dir = dataDir();
    const first = await startEmbedded(dir);
    await first.createTopic({ name: 'wiped', partitions: 2 });
    await first.produce('wiped', 1, textRecords(['lost']));
    await first.shutdown();
    rmSync(join(dir, 'topics', 'wiped-1'), { recursive: true });

    const lines: string[] = [];
    const logger = createLogger('test', { level: 'warn', write: (line) => lines.push(line) });
    const second = await startEmbedded(dir, {}, { logger });
    try {
      const warned = lines.filter((l) => l.includes('"topic":"wiped"'));
      expect(warned).toHaveLength(1);
      expect(warned[0]).toMatch(/partition directory .* is missing.*"partition":1/);
      expect(values(await readAll(second, 'wiped', 1))).toEqual([]);
      expect((await second.produce('wiped', 1, textRecords(['next']))).baseOffset).toBe(0);
    } finally {
      await second.shutdown();
    }
  });
});
