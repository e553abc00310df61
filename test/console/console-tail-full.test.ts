import { describe, expect, it } from 'vitest';
import { chromiumAvailable, useConsole, waitForText } from './browser.js';

/** More spans than the tail keeps (2,000): it drops the oldest from then on. */
const SPANS = 2100;

describe.skipIf(!chromiumAvailable())('the live tail with many records and many partitions', () => {
  const fixture = useConsole();

  it('offers the services of the records arriving after that in its filter', async () => {
    const { page, admin, gateway, problems } = fixture();
    const send = async (service: string, count: number, firstSpan: number) => {
      const start = BigInt(Date.now()) * 1_000_000n;
      const spans = Array.from({ length: count }, (_, i) => ({
        // One trace per span; an all-zero id is not a valid one.
        traceId: (firstSpan + i + 1).toString(16).padStart(32, '0'),
        spanId: (firstSpan + i + 1).toString(16).padStart(16, '0'),
        name: `op ${i}`,
        kind: 1,
        startTimeUnixNano: `${start}`,
        endTimeUnixNano: `${start + 1_000_000n}`,
      }));
      const body = { resourceSpans: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] }, scopeSpans: [{ spans }] }] };
      const res = await fetch(`http://127.0.0.1:${gateway.receiverAddress().port}/v1/traces`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      expect(res.status, await res.text()).toBe(200);
    };
    await page.goto(`${admin}/ui/tail?topic=otlp_spans`);
    await waitForText(page, ['otlp_spans, partitions 0 ', 'from latest']);
    await send('early', SPANS, 0);
    await waitForText(page, [`${SPANS.toLocaleString('en-US')} records`]);
    await send('late', 5, SPANS);
    await waitForText(page, [`${(SPANS + 5).toLocaleString('en-US')} records`]);
    await page.waitForFunction(() => [...document.querySelectorAll('.service-filter option')].some((o) => o.textContent === 'late'), { timeout: 10_000 });
    await page.select('.service-filter', 'late');
    expect(await page.$$eval('[data-trace]', (traces) => traces.length)).toBe(5);
    expect(problems).toEqual([]);
  }, 60_000);

  it('reads no partition while none has new records, however many the topic has', async () => {
    const { page, admin, gateway, problems } = fixture();
    const created = await fetch(`${admin}/api/v1/topics`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'wide', partitions: 32 }),
    });
    expect(created.status).toBe(201);
    const reads: string[] = [];
    const onRequest = (req: { url(): string }) => {
      if (req.url().includes('/records?')) reads.push(req.url());
    };
    await page.goto(`${admin}/ui/tail?topic=wide`);
    await waitForText(page, ['wide, partitions 0 1 2', 'Waiting for records']);
    page.on('request', onRequest);
    try {
      // Several of the tail's rounds (one a second) with nothing new anywhere.
      await new Promise((r) => setTimeout(r, 4000));
      expect(reads).toEqual([]);
      // A record in one partition is read from that partition only, and shown.
      await gateway.backend.produce('wide', 17, [{ value: Buffer.from('not otlp') }]);
      await page.waitForSelector('section[aria-label="Records that are not OTLP"] li', { timeout: 10_000 });
      expect(new Set(reads.map((u) => new URL(u).searchParams.get('partition')))).toEqual(new Set(['17']));
    } finally {
      page.off('request', onRequest);
    }
    expect(problems).toEqual([]);
  });
});
