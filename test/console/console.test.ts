import { join } from 'node:path';
import type { Page } from 'puppeteer-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { eventually, tributary } from '../e2e/cli-process.js';
import { chromiumAvailable, overflowsHorizontally, screenshotDir, useConsole, waitForText } from './browser.js';

interface TopicJson {
  name: string;
  partitions: { partition: number; leader: number; highWatermark: number }[];
}

describe.skipIf(!chromiumAvailable())('the web console in a browser', () => {
  const fixture = useConsole((dir) => ({
    log: { data_dir: join(dir, 'data'), brokers: 3, fsync: 'never' },
    pipelines: [{ group: 'archive', topics: ['otlp_spans', 'otlp_logs'], sink: { type: 'file', path: join(dir, 'archive.jsonl') } }],
  }));
  const shots = screenshotDir();
  let page: Page;
  let problems: string[];
  let admin: string;
  let receiver: string;
  beforeAll(() => {
    ({ page, problems, admin } = fixture());
    receiver = `http://127.0.0.1:${fixture().gateway.receiverAddress().port}`;
  });

  const api = async <T>(path: string, init?: RequestInit): Promise<T> => (await fetch(`${admin}/api/v1/${path}`, init)).json() as Promise<T>;
  const open = async (path: string) => {
    await page.goto(`${admin}${path}`, { waitUntil: 'domcontentloaded' });
  };
  const shoot = async (name: string, fullPage = false) => {
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: join(shots, `${name}.png`), fullPage });
  };

  it('draws every broker with the partitions the admin API says it leads', async () => {
    const cluster = await api<{ brokers: { id: number }[]; controller: number }>('cluster');
    const { topics } = await api<{ topics: TopicJson[] }>('topics');
    await open('/ui/cluster');
    await page.waitForSelector('[data-broker] .chip');
    const shown = await page.$$eval('[data-broker]', (cards) =>
      cards.map((c) => ({
        id: Number(c.getAttribute('data-broker')),
        leads: [...c.querySelectorAll('[data-role="leader"]')].map((chip) => chip.textContent).sort(),
        text: c.textContent ?? '',
      })),
    );
    expect(shown.map((b) => b.id)).toEqual(cluster.brokers.map((b) => b.id));
    for (const broker of cluster.brokers) {
      const expected = topics.flatMap((t) => t.partitions.filter((p) => p.leader === broker.id).map((p) => `${t.name}/${p.partition}`)).sort();
      expect(expected.length).toBeGreaterThan(0);
      expect(shown.find((b) => b.id === broker.id)!.leads).toEqual(expected);
    }
    // The embedded log's controller is the gateway's main thread (-1), a broker's id over Kafka.
    if (cluster.controller < 0) await waitForText(page, ["Controller the gateway's main thread"]);
    else expect(shown.find((b) => b.id === cluster.controller)!.text).toContain('controller');
    await shoot('cluster');
  });

  it('after `tributary send`, the live tail shows the sample traces as waterfalls', async () => {
    await open('/ui/tail?topic=otlp_spans');
    await waitForText(page, ['otlp_spans, partitions 0 1 2 3 4 5 from latest']);
    const sent = await tributary(['send', '--endpoint', receiver, '--requests', '5']);
    expect(sent.code, sent.stderr).toBe(0);
    // Each service exports its spans of a trace in its own request: a trace is whole once all three arrived.
    await page.waitForFunction(
      () => {
        const traces = [...document.querySelectorAll('[data-trace]')];
        return traces.length === 5 && traces.every((t) => t.querySelectorAll('[data-span]').length === 3);
      },
      { timeout: 20_000 },
    );
    const traces = await page.$$eval('[data-trace]', (els) => els.map((t) => [...t.querySelectorAll('[data-span]')].map((s) => s.getAttribute('data-span'))));
    for (const spans of traces) expect(spans).toEqual(['GET /checkout', 'checkout.process', 'payment.process']);
    await waitForText(page, ['frontend', 'checkout', 'payment']);
    await shoot('tail-traces');

    // Pause stops reading: records sent meanwhile show only after Resume.
    const pause = await page.waitForSelector('button[aria-pressed]');
    await pause!.click();
    await waitForText(page, ['paused']);
    expect((await tributary(['send', '--endpoint', receiver, '--requests', '2'])).code).toBe(0);
    await new Promise((r) => setTimeout(r, 1500));
    expect(await page.$$eval('[data-trace]', (els) => els.length)).toBe(5);
    await pause!.click();
    await page.waitForFunction(() => document.querySelectorAll('[data-trace]').length === 7, { timeout: 20_000 });

    // The service filter keeps the traces that have a span of that service.
    await page.select('.toolbar select', 'payment');
    expect(await page.$$eval('[data-trace]', (els) => els.length)).toBe(7);
  });

  it('shows the sample events and log records with severity and body, and metric data points', async () => {
    await open('/ui/tail?topic=otlp_events&from=earliest');
    await page.waitForSelector('tr[data-kind="event"]');
    await waitForText(page, ['shop.checkout.completed', '{order=0}']);
    await shoot('tail-events');

    await open('/ui/tail?topic=otlp_logs&from=earliest');
    await waitForText(page, ['INFO', 'frontend handled request 0', 'checkout handled request 4']);
    await open('/ui/tail?topic=otlp_metrics&from=earliest');
    await page.waitForSelector('tr[data-metric="http.server.requests"]');
    await waitForText(page, ['http.server.duration', 'histogram', 'route=/checkout']);
    await shoot('tail-metrics');
  });

  it('jumps to an offset of one partition and to a time', async () => {
    const { topics } = await api<{ topics: TopicJson[] }>('topics');
    const spans = topics.find((t) => t.name === 'otlp_spans')!;
    const busiest = spans.partitions.reduce((a, b) => (b.highWatermark > a.highWatermark ? b : a));
    await open('/ui/tail?topic=otlp_spans');
    await page.waitForSelector('#tail-partition');
    await page.select('#tail-partition', String(busiest.partition));
    await page.select('#tail-from', 'offset');
    await page.waitForSelector('#tail-offset');
    await page.$eval('#tail-offset', (el) => {
      (el as HTMLInputElement).value = '';
    });
    await page.type('#tail-offset', String(busiest.highWatermark - 1));
    await page.click('.tail-form button[type="submit"]');
    await waitForText(page, [`partitions ${busiest.partition} from offset ${busiest.highWatermark - 1}`, '1 records']);
    expect(page.url()).toContain(`partition=${busiest.partition}`);

    await open(`/ui/tail?topic=otlp_spans&from=time&time=${Date.now() + 3_600_000}`);
    await waitForText(page, ['0 records', 'Waiting for records']);
  });

  it('charts topic ingest rates, creates a topic and changes its retention', async () => {
    await open('/ui/topics');
    await page.waitForSelector('tr[data-topic="otlp_spans"]');
    await page.type('#topic-name', 'console-made');
    await page.$eval('#topic-partitions', (el) => {
      (el as HTMLInputElement).value = '';
    });
    await page.type('#topic-partitions', '2');
    await page.type('#topic-retention', '3');
    await page.click('form[aria-label="Create a topic"] button[type="submit"]');
    await page.waitForFunction(() => location.pathname === '/ui/topics/console-made');
    const created = await api<{ partitions: unknown[]; settings: { retentionMs?: number } }>('topics/console-made');
    expect(created.partitions).toHaveLength(2);
    expect(created.settings.retentionMs).toBe(3 * 86_400_000);

    await page.waitForSelector('#retention-time');
    await page.type('#retention-time', '12');
    await page.click('form[aria-label="Change retention"] button[type="submit"]');
    await waitForText(page, ['Retention changed.']);
    expect((await api<{ settings: { retentionMs?: number } }>('topics/console-made')).settings.retentionMs).toBe(12 * 3_600_000);

    // A name the API refuses: its message shows at the name field.
    await open('/ui/topics');
    // As above: the view has loaded its topics (until then the page may still render anew under the form).
    await page.waitForSelector('tr[data-topic="console-made"]');
    await page.type('#topic-name', 'console-made');
    await page.click('form[aria-label="Create a topic"] button[type="submit"]');
    await page.waitForSelector('[data-field="topic-name"] .field-error');
    expect(await page.$eval('[data-field="topic-name"] .field-error', (e) => e.textContent)).toMatch(/exists/);

    // The rate chart fills in once the console has two samples; records sent meanwhile show as a rate.
    let rateShown = false;
    const rising = page
      .waitForFunction(
        () => document.querySelector('.chart canvas') && !document.querySelector('tr[data-topic="otlp_spans"]')?.textContent?.includes('0.0/s'),
        { timeout: 30_000 },
      )
      .then(() => {
        rateShown = true;
      });
    while (!rateShown) {
      expect((await tributary(['send', '--endpoint', receiver, '--requests', '20'])).code).toBe(0);
      await Promise.race([rising, new Promise((r) => setTimeout(r, 500))]);
    }
    await shoot('topics');
  });

  it('deletes a topic after a confirm step, and shows why the gateway refuses one of its own', async () => {
    await fetch(`${admin}/api/v1/topics`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'console-doomed', partitions: 1 }) });
    const topicNames = async () => (await api<{ topics: TopicJson[] }>('topics')).topics.map((t) => t.name);
    const deleteButton = 'section[aria-label="Delete the topic"] button.danger';
    await open('/ui/topics/console-doomed');
    await page.waitForSelector(deleteButton);
    // Escape leaves it as it is.
    await page.click(deleteButton);
    const dialog = await page.waitForSelector('dialog[open]');
    expect(await dialog!.evaluate((d) => d.textContent)).toContain('Delete topic console-doomed?');
    await page.keyboard.press('Escape');
    await page.waitForFunction(() => !document.querySelector('dialog[open]'));
    expect(await topicNames()).toContain('console-doomed');

    await page.click(deleteButton);
    await page.waitForSelector('dialog[open]');
    await page.click('dialog[open] button[type="submit"]');
    await page.waitForFunction(() => location.pathname === '/ui/topics');
    await page.waitForSelector('tr[data-topic="otlp_spans"]');
    expect(await page.$('tr[data-topic="console-doomed"]')).toBeNull();
    expect(await topicNames()).not.toContain('console-doomed');

    // The receiver's topic: the API refuses it, and the console says why.
    await open('/ui/topics/otlp_spans');
    await page.waitForSelector(deleteButton);
    await page.click(deleteButton);
    await page.waitForSelector('dialog[open]');
    await page.click('dialog[open] button[type="submit"]');
    await page.waitForSelector('[role="alert"]');
    await waitForText(page, ['Could not delete topic otlp_spans', 'RECEIVER_TOPIC', 'receiver.topics.traces']);
    expect(await topicNames()).toContain('otlp_spans');
  });

  it('shows a group with its per-partition lag, and asks before resetting its offsets', async () => {
    await open('/ui/groups/archive');
    await page.waitForSelector('#reset-to');
    await waitForText(page, ['Stable', 'otlp_logs', 'Consumed by']);
    const before = await api<{ partitions: { committedOffset: number | null }[] }>('groups/archive');
    await page.click('form[aria-label="Reset offsets"] button[type="submit"]');
    const dialog = await page.waitForSelector('dialog[open]');
    expect(await dialog!.evaluate((d) => d.textContent)).toContain('Group archive will resume from the earliest offset');
    await page.keyboard.press('Escape');
    await page.waitForFunction(() => !document.querySelector('dialog[open]'));

    // With members consuming, the API refuses; the console shows why.
    await page.click('form[aria-label="Reset offsets"] button[type="submit"]');
    await page.waitForSelector('dialog[open]');
    await page.click('dialog[open] button[type="submit"]');
    await page.waitForSelector('[role="alert"]');
    await waitForText(page, ['Could not reset the offsets', 'GROUP_NOT_EMPTY']);
    expect((await api<{ partitions: { committedOffset: number | null }[] }>('groups/archive')).partitions).toEqual(before.partitions);
    await shoot('group', true);

    await open('/ui/groups');
    await page.waitForSelector('tr[data-group="archive"]');
    await shoot('groups');
  });

  it('creates, pauses, resumes and deletes a subscription, showing the API message at a bad field', async () => {
    await open('/ui/subscriptions');
    await page.waitForSelector('tr[data-pipeline="archive"]', { timeout: 5000 });
    expect(await page.$eval('tr[data-pipeline="archive"]', (r) => r.textContent)).toContain('read-only');

    await page.type('#sub-group', 'console-sub');
    await page.click('input[name="topics"][value="otlp_spans"]');
    await page.select('#sub-sink-type', 'otlphttp');
    await page.$eval('#sub-sink', (el) => {
      (el as HTMLTextAreaElement).value = '';
    });
    await page.type('#sub-sink', '{ "endpoint": "not a url" }');
    await page.type('#sub-services', 'checkout, payment');
    await page.click('form[aria-label="New subscription"] button[type="submit"]');
    await page.waitForSelector('[data-field="sub-sink"] .field-error');
    const shown = await page.$eval('[data-field="sub-sink"] .field-error', (e) => e.textContent);
    const refused = await fetch(`${admin}/api/v1/pipelines`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ group: 'console-sub', topics: ['otlp_spans'], sink: { type: 'otlphttp', endpoint: 'not a url' } }),
    });
    expect(refused.status).toBe(400);
    const { error } = (await refused.json()) as { error: { message: string; field: string } };
    expect(error.field).toBe('sink.endpoint');
    expect(shown).toBe(error.message);
    await shoot('subscription-error');

    await page.$eval('#sub-sink', (el) => {
      (el as HTMLTextAreaElement).value = '';
    });
    await page.type('#sub-sink', '{ "endpoint": "http://127.0.0.1:9" }');
    await page.click('form[aria-label="New subscription"] button[type="submit"]');
    await waitForText(page, ['Subscription console-sub created.']);
    const listed = await api<{ pipelines: { group: string; filter?: unknown; state: string }[] }>('pipelines');
    expect(listed.pipelines.find((p) => p.group === 'console-sub')).toMatchObject({ filter: { resource: { 'service.name': ['checkout', 'payment'] } } });

    const row = 'tr[data-pipeline="console-sub"]';
    await page.waitForSelector(row);
    await page.click(`${row} button:not(.danger)`);
    await eventually('the subscription paused', async () => (await api<{ state: string }>('pipelines/console-sub')).state === 'paused');
    await shoot('subscriptions');
    await page.waitForFunction((r: string) => document.querySelector(r)?.textContent?.includes('Resume'), {}, row);
    await page.click(`${row} button:not(.danger)`);
    await eventually('the subscription running', async () => (await api<{ state: string }>('pipelines/console-sub')).state === 'running');
    await page.click(`${row} button.danger`);
    await page.waitForSelector('dialog[open]');
    await page.click('dialog[open] button[type="submit"]');
    await eventually('the subscription gone', async () => !(await api<{ pipelines: { group: string }[] }>('pipelines')).pipelines.some((p) => p.group === 'console-sub'));
    await page.waitForFunction((r: string) => !document.querySelector(r), {}, row);
  });

  it('is usable from the keyboard and shows errors instead of a blank page', async () => {
    await open('/ui/cluster');
    await page.waitForSelector('[data-broker]');
    let focused = '';
    for (let i = 0; i < 10 && focused !== 'Topics'; i++) {
      await page.keyboard.press('Tab');
      focused = await page.evaluate(() => document.activeElement?.textContent ?? '');
    }
    expect(focused).toBe('Topics');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.querySelector('h1')?.textContent === 'Topics');

    await open('/ui/topics/no-such-topic');
    await waitForText(page, ['Could not read topic no-such-topic', 'UNKNOWN_TOPIC']);
    await open('/ui/nowhere');
    await waitForText(page, ['No such page', 'cluster']);
  });

  it('fits a phone-sized screen without scrolling sideways', async () => {
    await page.setViewport({ width: 390, height: 844, isMobile: true, hasTouch: true });
    try {
      for (const [path, ready] of [
        ['/ui/cluster', '[data-broker]'],
        ['/ui/topics', 'tr[data-topic]'],
        ['/ui/groups/archive', '#reset-to'],
        ['/ui/tail?topic=otlp_spans&from=earliest', '[data-trace]'],
        ['/ui/subscriptions', '#sub-group'],
      ]) {
        await open(path);
        await page.waitForSelector(ready);
        expect(await overflowsHorizontally(page), path).toBe(false);
        if (path === '/ui/cluster') await shoot('phone-cluster');
        if (path.startsWith('/ui/tail')) await shoot('phone-tail');
      }
    } finally {
      await page.setViewport({ width: 1280, height: 800 });
    }
    expect(problems).toEqual([]);
  });
});
