import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildConsole } from '../../scripts/build-console.js';
import { configSchema } from '../../src/config/schema.js';
import { createGateway, type Gateway } from '../../src/gateway.js';
import { silentLogger } from '../../src/telemetry/logger.js';
import { chromiumAvailable, launchBrowser, screenshotDir, waitForText, watchPage } from './browser.js';

const TOKEN = 'console-admin-token-0123456789';

describe.skipIf(!chromiumAvailable())('the web console with admin auth on', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-console-auth-'));
  let gateway: Gateway;
  let browser: Browser;
  let page: Page;
  let problems: string[];
  let admin: string;

  beforeAll(async () => {
    await buildConsole();
    const config = configSchema.parse({
      receiver: { endpoint: '127.0.0.1:0', workers: 1 },
      admin: { endpoint: '127.0.0.1:0', auth: { tokens: [{ token: TOKEN }] } },
      kafka: { listener: '' },
      log: { data_dir: join(dir, 'data'), brokers: 1, fsync: 'never' },
    });
    gateway = createGateway(config, { logger: silentLogger });
    [, browser] = await Promise.all([gateway.start(), launchBrowser()]);
    admin = `http://127.0.0.1:${gateway.adminAddress().port}`;
    page = await browser.newPage();
    problems = watchPage(page);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await gateway?.shutdown();
    rmSync(dir, { recursive: true, force: true });
  });

  it('asks for the token, refuses a wrong one, and works once given the right one', async () => {
    await page.goto(`${admin}/ui/cluster`);
    await page.waitForSelector('#admin-token');
    await waitForText(page, ["This gateway's admin API needs a token"]);
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('admin-token');
    await page.screenshot({ path: join(screenshotDir(), 'token.png') });

    await page.type('#admin-token', 'wrong-token');
    await page.keyboard.press('Enter');
    await waitForText(page, ['The token given was refused']);

    await page.type('#admin-token', TOKEN);
    await page.keyboard.press('Enter');
    await page.waitForSelector('[data-broker="0"]');
    expect(await page.$('#admin-token')).toBeNull();
    expect(await page.evaluate(() => sessionStorage.getItem('tributary.adminToken'))).toBe(TOKEN);
  });

  it('keeps the token for the tab across reloads, and asks again once it is forgotten', async () => {
    await page.goto(`${admin}/ui/topics`);
    await page.waitForSelector('tr[data-topic="otlp_spans"]');
    expect(await page.$('#admin-token')).toBeNull();

    const forget = await page.waitForSelector('header button.link');
    await forget!.click();
    await page.waitForSelector('#admin-token');
    expect(await page.evaluate(() => sessionStorage.getItem('tributary.adminToken'))).toBeNull();
    expect(problems).toEqual([]);
  });
});
