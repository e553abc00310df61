import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildConsole } from '../../scripts/build-console.js';
import { type GatewayProcess, startGatewayProcess } from '../e2e/cli-process.js';
import { chromiumAvailable, launchBrowser, watchPage, waitForText } from './browser.js';

describe.skipIf(!chromiumAvailable())('the web console when the gateway stops answering, or another server answers for it', () => {
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

  it('says what answered when a proxy in front of the gateway answers the API with a page of its own', async () => {
    // A reverse proxy as sign-in proxies behave once a session ends: the console's page still
    // comes through, its API calls get the proxy's HTML sign-in page with 200.
    let signedOut = false;
    const upstream = new URL(gateway.adminUrl);
    const proxy: Server = createServer((req, res) => {
      if (signedOut && req.url?.startsWith('/api/')) {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end('<!doctype html><title>Sign in</title><form>…</form>');
        return;
      }
      const forward = request({ host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      req.pipe(forward);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const page = await browser.newPage();
    try {
      const problems = watchPage(page);
      await page.goto(`http://127.0.0.1:${(proxy.address() as AddressInfo).port}/ui/subscriptions`);
      await page.waitForSelector('#sub-group');
      signedOut = true;
      await waitForText(page, ['Could not list the subscriptions', 'text/html'], 20_000);
      signedOut = false;
      await page.waitForFunction(() => !document.querySelector('[role="alert"]'), { timeout: 20_000 });
      expect(problems).toEqual([]);
    } finally {
      await page.close();
      proxy.closeAllConnections();
      proxy.close();
    }
  }, 60_000);
});
