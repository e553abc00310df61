import { describe, expect, it } from 'vitest';
import { chromiumAvailable, useConsole, waitForText } from './browser.js';

/** More spans than the tail keeps (2,000): it drops the oldest from then on. */
const SPANS = 2100;

describe.skipIf(!chromiumAvailable())('the live tail once it holds as many items as it keeps', () => {
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
});
