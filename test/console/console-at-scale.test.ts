import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailable, useConsole, waitForText } from './browser.js';

/** Kafka groups are listed by name: these sort after the first 50 of the 60 made below. */
const GROUPS = Array.from({ length: 60 }, (_, i) => `team-${String(i).padStart(2, '0')}`);
const TOPICS = Array.from({ length: 40 }, (_, i) => `bulk-${String(i).padStart(2, '0')}`);

/** A subscription stored by an earlier run whose sink type this gateway does not know: it is restored as failed. */
function storeFailingSubscription(dataDir: string): void {
  mkdirSync(join(dataDir, 'meta'), { recursive: true });
  const stored = { pipeline: { group: 'gone-sink', topics: ['otlp_logs'], sink: { type: 'carrier-pigeon' } }, paused: false, createdAt: new Date().toISOString() };
  writeFileSync(join(dataDir, 'meta', 'pipelines.json'), JSON.stringify({ version: 1, subscriptions: [stored] }));
}

describe.skipIf(!chromiumAvailable())('the web console with many topics and groups, and a failed subscription', () => {
  const fixture = useConsole((dir) => {
    storeFailingSubscription(join(dir, 'data'));
    return {};
  });
  let admin: string;
  const api = async <T>(path: string, init?: RequestInit): Promise<T> => {
    const res = await fetch(`${admin}/api/v1/${path}`, init);
    expect(res.ok, `${path}: ${res.status}`).toBe(true);
    return res.json() as Promise<T>;
  };
  const post = (path: string, body: unknown) => api(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  beforeAll(async () => {
    admin = fixture().admin;
    for (const name of TOPICS) await post('topics', { name, partitions: 2 });
    // Each group commits offset 0 on one partition of a topic with records: its lag is that partition's high watermark.
    const receiver = `http://127.0.0.1:${fixture().gateway.receiverAddress().port}`;
    const logs = { resourceLogs: [{ resource: {}, scopeLogs: [{ logRecords: [{ body: { stringValue: 'x' } }] }] }] };
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${receiver}/v1/logs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(logs) });
      expect(res.status).toBe(200);
    }
    const { partitions } = await api<{ partitions: { partition: number; highWatermark: number }[] }>('topics/otlp_logs');
    const busy = partitions.find((p) => p.highWatermark > 0)!;
    for (const group of GROUPS) await post(`groups/${group}/offsets`, { to: 'offset', offset: 0, topics: ['otlp_logs'] });
    // Only the busy partition's committed 0 is behind; the others land on their high watermark (0).
    expect((await api<{ totalLag: number }>(`groups/${GROUPS[59]}`)).totalLag).toBe(busy.highWatermark);
  }, 60_000);

  it('shows the lag of every group from the group listing, with no request per group', async () => {
    const { page } = fixture();
    const groupRequests: string[] = [];
    const onRequest = (req: { url(): string }) => {
      const path = new URL(req.url()).pathname;
      if (path.startsWith('/api/v1/groups')) groupRequests.push(path);
    };
    page.on('request', onRequest);
    await page.goto(`${admin}/ui/groups`);
    await page.waitForSelector(`tr[data-group="${GROUPS[59]}"]`);
    const expected = (await api<{ totalLag: number }>(`groups/${GROUPS[59]}`)).totalLag;
    // The console samples lag every 3 seconds; the first sample gives every group its value.
    await page.waitForFunction(
      (groups: string[]) =>
        groups.every((g) => {
          const lag = document.querySelector(`tr[data-group="${g}"] td:last-child`)?.textContent ?? '';
          return /^\d/.test(lag);
        }),
      { timeout: 30_000, polling: 250 },
      GROUPS,
    );
    expect(await page.$eval(`tr[data-group="${GROUPS[59]}"] td:last-child`, (td) => td.textContent)).toBe(String(expected));
    // Two samples more: the page and the sampler list the groups, and no group is asked for one by one.
    await new Promise((resolve) => setTimeout(resolve, 6_500));
    page.off('request', onRequest);
    expect(groupRequests.filter((p) => p !== '/api/v1/groups')).toEqual([]);
    expect(groupRequests.length).toBeGreaterThanOrEqual(3);
  }, 45_000);

  it('keeps a chart of hundreds of topics to its busiest lines, so the table stays in view', async () => {
    const { page } = fixture();
    await page.goto(`${admin}/ui/topics`);
    await page.waitForSelector('tr[data-topic="bulk-39"]');
    await page.waitForSelector('.chart .u-legend');
    const legend = await page.$$eval('.chart .u-legend .u-series', (rows) => rows.length);
    // uPlot's legend has a row for the x axis too.
    expect(legend - 1).toBeLessThanOrEqual(8);
    await waitForText(page, [`of ${TOPICS.length + 4} topics`]);
    const tableTop = await page.$eval('table', (t) => t.getBoundingClientRect().top);
    expect(tableTop).toBeLessThan(800);
  });

  it('says why a subscription failed and offers to retry it, not to pause it', async () => {
    const { page, problems } = fixture();
    const listed = await api<{ state: string; error: string }>('pipelines/gone-sink');
    expect(listed.state).toBe('failed');
    await page.goto(`${admin}/ui/subscriptions`);
    const row = 'tr[data-pipeline="gone-sink"]';
    await page.waitForSelector(row);
    const text = await page.$eval(row, (r) => r.textContent ?? '');
    expect(text).toContain('failed');
    expect(text).toContain(listed.error);
    const buttons = await page.$$eval(`${row} button`, (bs) => bs.map((b) => b.textContent?.trim()));
    expect(buttons).not.toContain('Pause');
    expect(buttons).toContain('Retry');
    // Retrying asks the API to resume it; it still cannot run, and the console shows the API's reason.
    const retry = await page.$$(`${row} button`);
    for (const b of retry) if ((await b.evaluate((el) => el.textContent?.trim())) === 'Retry') await b.click();
    await waitForText(page, ['Could not change the subscription', 'carrier-pigeon']);
    expect(problems).toEqual([]);
  });
});
