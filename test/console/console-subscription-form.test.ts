import type { Page } from 'puppeteer-core';
import { describe, expect, it } from 'vitest';
import { chromiumAvailable, useConsole, waitForText } from './browser.js';

/** Fills the new-subscription form: a group, its topics, a sink type and its settings. */
async function fill(page: Page, group: string, topics: string[], sinkType: string, settings: object): Promise<void> {
  await page.waitForSelector('#sub-group');
  await page.$eval('#sub-group', (el) => {
    (el as HTMLInputElement).value = '';
  });
  await page.type('#sub-group', group);
  for (const t of topics) {
    const box = `input[name="topics"][value="${t}"]`;
    if (!(await page.$eval(box, (el) => (el as HTMLInputElement).checked))) await page.click(box);
  }
  await page.select('#sub-sink-type', sinkType);
  await page.$eval('#sub-sink', (el) => {
    (el as HTMLTextAreaElement).value = '';
  });
  await page.type('#sub-sink', JSON.stringify(settings));
}

const submit = (page: Page) => page.click('form[aria-label="New subscription"] button[type="submit"]');
const fieldError = async (page: Page, field: string) => {
  await page.waitForSelector(`[data-field="${field}"] .field-error`, { timeout: 10_000 });
  return page.$eval(`[data-field="${field}"] .field-error`, (e) => e.textContent);
};

/** Subscriptions this gateway takes at most. */
const LIMIT = 3;

describe.skipIf(!chromiumAvailable())('the new-subscription form', () => {
  const fixture = useConsole(() => ({ sinks: { max_subscriptions: LIMIT } }));

  it('shows a sink that cannot carry the topics chosen at the sink type, and a taken name at the name', async () => {
    const { page, admin, problems } = fixture();
    await page.goto(`${admin}/ui/subscriptions`);
    await fill(page, 'to-prometheus', ['otlp_spans', 'otlp_metrics'], 'prometheusremotewrite', { endpoint: 'http://127.0.0.1:9/api/v1/write' });
    await submit(page);
    expect(await fieldError(page, 'sub-sink-type')).toMatch(/exports metrics only, but the pipeline also reads otlp_spans/);

    await page.goto(`${admin}/ui/subscriptions`);
    await fill(page, 'taken', ['otlp_logs'], 'debug', {});
    await submit(page);
    await waitForText(page, ['Subscription taken created.']);
    await fill(page, 'taken', ['otlp_logs'], 'debug', {});
    await submit(page);
    expect(await fieldError(page, 'sub-group')).toMatch(/taken/);
    expect(problems).toEqual([]);
  });

  it('from the keyboard, returns to the Delete button once its question is answered Cancel or Escape', async () => {
    const { page, admin, problems } = fixture();
    const created = await fetch(`${admin}/api/v1/pipelines`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ group: 'kept', topics: ['otlp_logs'], sink: { type: 'debug' } }),
    });
    expect(created.status, await created.text()).toBe(201);
    await page.goto(`${admin}/ui/subscriptions`);
    const del = 'tr[data-pipeline="kept"] button.danger';
    await page.waitForSelector(del);
    // Focus comes back as the dialog closes, or a moment after (a render of the page's poll between): waited for, up to 5 s.
    const focusedIsDelete = () =>
      page.waitForFunction((s: string) => document.activeElement === document.querySelector(s), { timeout: 5_000 }, del).then(
        () => true,
        () => false,
      );
    await page.focus(del);
    await page.keyboard.press('Enter');
    await page.waitForSelector('dialog[open]');
    await page.keyboard.press('Escape');
    await page.waitForFunction(() => !document.querySelector('dialog[open]'));
    expect(await focusedIsDelete()).toBe(true);

    // Again, Tab to Cancel and press it: still on the row, and the subscription is kept.
    await page.keyboard.press('Enter');
    await page.waitForSelector('dialog[open]');
    let label = '';
    for (let i = 0; i < 5 && label !== 'Cancel'; i++) {
      await page.keyboard.press('Tab');
      label = await page.evaluate(() => document.activeElement?.textContent?.trim() ?? '');
    }
    expect(label).toBe('Cancel');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => !document.querySelector('dialog[open]'));
    expect(await focusedIsDelete()).toBe(true);
    expect((await fetch(`${admin}/api/v1/pipelines/kept`)).status).toBe(200);
    expect(problems).toEqual([]);
  });
  it("shows the limit of subscriptions as the form's problem, not the name's", async () => {
    const { page, admin, problems } = fixture();
    const { pipelines } = (await (await fetch(`${admin}/api/v1/pipelines`)).json()) as { pipelines: unknown[] };
    await page.goto(`${admin}/ui/subscriptions`);
    for (let i = pipelines.length; i < LIMIT; i++) {
      await fill(page, `fill-${i}`, ['otlp_logs'], 'debug', {});
      await submit(page);
      await waitForText(page, [`Subscription fill-${i} created.`]);
    }
    await fill(page, 'one-too-many', ['otlp_logs'], 'debug', {});
    await submit(page);
    await waitForText(page, ['Could not create the subscription', 'PIPELINE_LIMIT']);
    expect(await page.$('[data-field="sub-group"] .field-error')).toBeNull();
    expect(problems).toEqual([]);
  });
});
