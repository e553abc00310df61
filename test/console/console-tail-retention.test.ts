import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { eventually } from '../e2e/cli-process.js';
import { chromiumAvailable, useConsole, waitForText } from './browser.js';

interface PartitionJson {
  logStartOffset: number;
  highWatermark: number;
}

describe.skipIf(!chromiumAvailable())('the live tail when retention deletes what it has yet to read', () => {
  // Retention runs every 100 ms, so a segment past the topic's one-byte limit goes at once.
  const fixture = useConsole((dir) => ({ log: { data_dir: join(dir, 'data'), brokers: 1, fsync: 'never', retention_check_interval: '100ms' } }));

  it('goes on from the oldest record kept, says what it skipped, and does not stay stuck on an error', async () => {
    const { page, admin, problems, gateway } = fixture();
    const api = async <T>(path: string, init?: RequestInit): Promise<T> => (await fetch(`${admin}/api/v1/${path}`, init)).json() as Promise<T>;
    const json = { 'content-type': 'application/json' };
    await api('topics', { method: 'POST', headers: json, body: JSON.stringify({ name: 'short-lived', partitions: 1, retentionBytes: 1, segmentBytes: 1024 }) });
    // One record per produce: each its own batch, so segments of 1 KiB roll over after one or two.
    const produce = async (n: number) => {
      for (let i = 0; i < n; i++) await gateway.backend.produce('short-lived', 0, [{ value: Buffer.from(`record ${i} ${'x'.repeat(600)}`) }]);
    };
    await produce(3);

    await page.goto(`${admin}/ui/tail?topic=short-lived`);
    await waitForText(page, ['short-lived, partitions 0 from latest']);
    const pause = await page.waitForSelector('button[aria-pressed]');
    await pause!.click();
    await waitForText(page, ['paused']);
    const before = (await api<{ partitions: PartitionJson[] }>('topics/short-lived')).partitions[0];

    // While paused, more records come and retention deletes the segments holding the tail's next offset.
    await produce(12);
    await eventually('retention moved the log start past where the tail stopped', async () => {
      const p = (await api<{ partitions: PartitionJson[] }>('topics/short-lived')).partitions[0];
      return p.logStartOffset > before.highWatermark;
    });
    await pause!.click();
    await waitForText(page, ['deleted by retention before the tail read them']);
    await page.waitForFunction(() => !document.querySelector('[role="alert"]'), { timeout: 10_000 });
    // It reads on: a record produced now shows up.
    const shownBefore = await page.$$eval('section[aria-label="Records that are not OTLP"] li', (li) => li.length);
    await produce(1);
    await page.waitForFunction((n: number) => document.querySelectorAll('section[aria-label="Records that are not OTLP"] li').length > n, { timeout: 10_000 }, shownBefore);
    expect(problems).toEqual([]);
  });
});
