import { describe, expect, it } from 'vitest';
import { chromiumAvailable, overflowsHorizontally, useConsole, waitForText } from './browser.js';

/** Markup that would run if the console put text into the page as HTML. */
const MARKUP = '<img src=x onerror="window.__injected=1"><script>window.__injected=2</script>';

describe.skipIf(!chromiumAvailable())('the live tail with malformed and hostile records', () => {
  const fixture = useConsole();
  const receiver = () => `http://127.0.0.1:${fixture().gateway.receiverAddress().port}`;
  const send = async (signal: 'traces' | 'logs', body: unknown) => {
    const res = await fetch(`${receiver()}/v1/${signal}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect(res.status, await res.text()).toBe(200);
  };
  const nanos = (ms: number) => `${BigInt(ms) * 1_000_000n}`;
  const span = (traceId: string, spanId: string, parentSpanId: string, name: string, startMs: number) => ({
    traceId,
    spanId,
    parentSpanId,
    name,
    kind: 1,
    startTimeUnixNano: nanos(startMs),
    endTimeUnixNano: nanos(startMs + 5),
  });

  it('shows every span of a trace whose parent links loop, as text, without breaking the page', async () => {
    const { page, admin, problems } = fixture();
    await page.goto(`${admin}/ui/tail?topic=otlp_spans`);
    await waitForText(page, ['otlp_spans, partitions 0 ', 'from latest']);
    const t = Date.now();
    await send('traces', {
      resourceSpans: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'loops' } }] },
          scopeSpans: [
            {
              spans: [
                // A span that names itself as its parent, and two spans that name each other.
                span('0af7651916cd43dd8448eb211c80319c', 'b7ad6b7169203331', 'b7ad6b7169203331', `self ${MARKUP}`, t),
                span('1af7651916cd43dd8448eb211c80319c', 'c7ad6b7169203331', 'd7ad6b7169203331', 'ping', t),
                span('1af7651916cd43dd8448eb211c80319c', 'd7ad6b7169203331', 'c7ad6b7169203331', 'pong', t + 1),
              ],
            },
          ],
        },
      ],
    });
    await page.waitForFunction(() => document.querySelectorAll('[data-trace]').length === 2, { timeout: 20_000 });
    const shown = await page.$$eval('[data-trace]', (traces) => traces.map((t) => [...t.querySelectorAll('[data-span]')].map((s) => s.getAttribute('data-span'))));
    expect(shown.flat().sort()).toEqual(['ping', 'pong', `self ${MARKUP}`].sort());
    await waitForText(page, [`self ${MARKUP}`]);
    expect(await page.evaluate(() => (window as { __injected?: number }).__injected)).toBeUndefined();
    expect(problems).toEqual([]);
  });

  it('keeps a huge log body or span name to a few lines, and shows all of it when asked', async () => {
    const { page, admin, problems } = fixture();
    const body = `${'stack frame '.repeat(20_000)}END-OF-BODY`;
    const name = `SELECT ${'column, '.repeat(12_000)}END-OF-NAME`;
    const t = Date.now();
    await send('logs', {
      resourceLogs: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'verbose' } }] },
          scopeLogs: [{ logRecords: [{ timeUnixNano: nanos(t), severityNumber: 17, body: { stringValue: body } }] }],
        },
      ],
    });
    await send('traces', {
      resourceSpans: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'verbose' } }] },
          scopeSpans: [{ spans: [span('2af7651916cd43dd8448eb211c80319c', 'e7ad6b7169203331', '', name, t)] }],
        },
      ],
    });

    await page.goto(`${admin}/ui/tail?topic=otlp_logs&from=earliest`);
    const row = await page.waitForSelector('tr[data-kind="log"]', { timeout: 20_000 });
    // A screen holds some 40 lines: the record takes a few, and the table stays readable around it.
    expect(await row!.evaluate((r) => r.getBoundingClientRect().height)).toBeLessThan(300);
    const showAll = await row!.waitForSelector('td.body button');
    expect(await showAll!.evaluate((b) => b.textContent)).toBe(`show all ${body.length.toLocaleString('en-US')} characters`);
    await showAll!.click();
    await page.waitForFunction(() => document.querySelector('tr[data-kind="log"] td.body')?.textContent?.includes('END-OF-BODY'));
    expect(await row!.$eval('td.body', (td) => td.firstChild?.textContent)).toBe(body);

    await page.goto(`${admin}/ui/tail?topic=otlp_spans&from=earliest`);
    const trace = await page.waitForSelector('[data-trace="2af7651916cd43dd8448eb211c80319c"]', { timeout: 20_000 });
    expect(await trace!.evaluate((t) => t.getBoundingClientRect().height)).toBeLessThan(300);
    expect(problems).toEqual([]);
  });

  it('fits a phone-sized screen when a service has a very long name', async () => {
    const { page, admin, problems } = fixture();
    const service = `service-${'x'.repeat(300)}`;
    await send('traces', {
      resourceSpans: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
          scopeSpans: [{ spans: [span('3af7651916cd43dd8448eb211c80319c', 'f7ad6b7169203331', '', 'GET /', Date.now())] }],
        },
      ],
    });
    await page.setViewport({ width: 390, height: 844, isMobile: true, hasTouch: true });
    try {
      await page.goto(`${admin}/ui/tail?topic=otlp_spans&from=earliest`);
      await page.waitForSelector('[data-trace="3af7651916cd43dd8448eb211c80319c"]', { timeout: 20_000 });
      expect(await overflowsHorizontally(page)).toBe(false);
    } finally {
      await page.setViewport({ width: 1280, height: 800 });
    }
    expect(problems).toEqual([]);
  });
});
