import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePorts } from '../../bench/lib/gateway-process.js';
import { buildConsole } from '../../scripts/build-console.js';
import { type GatewayProcess, startGatewayProcess } from '../e2e/cli-process.js';
import { chromiumAvailable, launchBrowser, watchPage, waitForText } from './browser.js';

describe.skipIf(!chromiumAvailable())('the live tail when the log comes back shorter than it read', () => {
  const dirs: string[] = [];
  let browser: Browser;
  let gateway: GatewayProcess | undefined;
  let ports: { receiver: number; admin: number };
  beforeAll(async () => {
    await buildConsole();
    browser = await launchBrowser();
    // The same ports each time, as a restarted gateway has.
    const [receiver, admin] = await freePorts(2);
    ports = { receiver, admin };
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await gateway?.stop();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });
  const start = async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tributary-console-cut-'));
    dirs.push(dataDir);
    gateway = await startGatewayProcess({ dataDir, ports });
    return gateway;
  };
  const sendLog = async (g: GatewayProcess, body: string) => {
    const logs = { resourceLogs: [{ resource: {}, scopeLogs: [{ logRecords: [{ body: { stringValue: body } }] }] }] };
    const res = await fetch(`${g.receiverUrl}/v1/logs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(logs) });
    expect(res.status).toBe(200);
  };

  it('goes on with the records received after the last one it showed, and says why, instead of staying on OFFSET_OUT_OF_RANGE', async () => {
    const first = await start();
    const page = await browser.newPage();
    const problems = watchPage(page);
    await page.goto(`${first.adminUrl}/ui/tail?topic=otlp_logs`);
    await waitForText(page, ['otlp_logs, partitions 0 ', 'from latest']);
    for (let i = 0; i < 5; i++) await sendLog(first, `before ${i}`);
    await waitForText(page, ['before 4']);

    // A gateway started on an emptied data directory (or one whose recovery cut a torn tail):
    // the tail's next offsets are past the new high watermarks.
    await first.stop();
    const second = await start();
    await sendLog(second, 'after the restart');
    await waitForText(page, ['after the restart', 'came back shorter than the tail had read'], 20_000);
    await page.waitForFunction(() => !document.querySelector('[role="alert"]'), { timeout: 10_000 });
    expect(problems).toEqual([]);
  }, 90_000);
});
