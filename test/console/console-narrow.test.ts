import { describe, expect, it } from 'vitest';
import { chromiumAvailable, overflowsHorizontally, useConsole } from './browser.js';

/** A topic name as teams write them: reverse domain, service, signal, version, purpose (63 characters). */
const TOPIC = 'com.example.payments.checkout-service.span-events.v2-deadletter';
const GROUP = 'com.example.payments.checkout-service.deadletter-replayer';

describe.skipIf(!chromiumAvailable())('the web console on a phone, with long topic and group names', () => {
  const fixture = useConsole();

  it('fits every page to the screen without scrolling sideways (tables scroll in their box)', async () => {
    const { page, admin, problems } = fixture();
    const post = async (path: string, body: unknown) => {
      const res = await fetch(`${admin}/api/v1/${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      expect(res.ok, await res.text()).toBe(true);
    };
    await post('topics', { name: TOPIC, partitions: 2 });
    await post(`groups/${GROUP}/offsets`, { to: 'earliest', topics: [TOPIC] });
    await page.setViewport({ width: 390, height: 844, isMobile: true, hasTouch: true });
    try {
      for (const [path, ready] of [
        ['/ui/cluster', `[data-broker] .chip[title^="${TOPIC}"]`],
        ['/ui/topics', `tr[data-topic="${TOPIC}"]`],
        [`/ui/topics/${TOPIC}`, 'tbody tr'],
        ['/ui/groups', `tr[data-group="${GROUP}"]`],
        [`/ui/groups/${GROUP}`, '#reset-to'],
        ['/ui/subscriptions', `input[name="topics"][value="${TOPIC}"]`],
        [`/ui/tail?topic=${TOPIC}`, '.tail-form'],
      ]) {
        await page.goto(`${admin}${path}`);
        await page.waitForSelector(ready);
        expect(await overflowsHorizontally(page), path).toBe(false);
      }
    } finally {
      await page.setViewport({ width: 1280, height: 800 });
    }
    expect(problems).toEqual([]);
  });
});
