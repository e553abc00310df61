import type { Browser } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildConsole } from '../../scripts/build-console.js';
import { type GatewayProcess, startGatewayProcess } from '../e2e/cli-process.js';
import { chromiumAvailable, launchBrowser, watchPage, waitForText } from './browser.js';

describe.skipIf(!chromiumAvailable())('the web console when the gateway stops answering', () => {
  let gateway: GatewayProcess;
  let browser: Browser;
  beforeAll(async () => {
    await buildConsole();
    [gateway, browser] = await Promise.all([startGatewayProcess(), launchBrowser()]);
  }, 60_000);
  afterAll(async () => {
    process.kill(gateway.pid, 'SIGCONT');
    await browser?.close();
    await gateway?.stop();
  });

  it('says the gateway does not answer instead of showing the last answer as current, and recovers without a reload', async () => {
    const page = await browser.newPage();
    const problems = watchPage(page);
    await page.goto(`${gateway.adminUrl}/ui/cluster`);
    await page.waitForSelector('[data-broker]');
    // A stopped process keeps its sockets: connections are accepted and never answered.
    process.kill(gateway.pid, 'SIGSTOP');
    try {
      await waitForText(page, ['Could not refresh the cluster', 'did not answer'], 30_000);
    } finally {
      process.kill(gateway.pid, 'SIGCONT');
    }
    await page.waitForFunction(() => !document.querySelector('[role="alert"]'), { timeout: 20_000 });
    expect(await page.$$eval('[data-broker]', (b) => b.length)).toBeGreaterThan(0);
    expect(problems).toEqual([]);
  }, 60_000);
});
