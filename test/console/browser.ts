import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { afterAll, beforeAll } from 'vitest';
import { buildConsole } from '../../scripts/build-console.js';
import { configSchema } from '../../src/config/schema.js';
import { createGateway, type Gateway } from '../../src/gateway.js';
import { packageRoot } from '../../src/paths.js';
import { silentLogger } from '../../src/telemetry/logger.js';
import { capability } from '../capability.js';

/** Debian's chromium; another one with TRIBUTARY_CHROMIUM. */
export const CHROMIUM = process.env.TRIBUTARY_CHROMIUM ?? '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu'];

/** Whether headless Chromium runs here: skipped with the reason where not, a failure under CI=true. */
export function chromiumAvailable(): boolean {
  return capability('headless Chromium', [CHROMIUM, ...ARGS, '--dump-dom', 'about:blank']);
}

/** `extraArgs`: more Chromium switches, such as `--host-resolver-rules` to give a name another address. */
export function launchBrowser(extraArgs: string[] = []): Promise<Browser> {
  return puppeteer.launch({ executablePath: CHROMIUM, args: [...ARGS, ...extraArgs], defaultViewport: { width: 1280, height: 800 } });
}

export interface ConsoleFixture {
  gateway: Gateway;
  browser: Browser;
  /** One page for the file's tests, watched from its start (watchPage). */
  page: Page;
  problems: string[];
  /** The admin API's base URL, where the console is served under /ui. */
  admin: string;
  dataDir: string;
}

/**
 * For a describe block: the console built as `npm run build` builds it, a real gateway from
 * `createGateway` on free ports (with `config(dir)` merged in, `dir` a temporary directory of the
 * block's), and headless Chromium with one page; all stopped after the block.
 */
export function useConsole(config: (dir: string) => Record<string, unknown> = () => ({})): () => ConsoleFixture {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-console-'));
  let fixture: ConsoleFixture | undefined;
  beforeAll(async () => {
    await buildConsole();
    const gateway = createGateway(
      configSchema.parse({
        receiver: { endpoint: '127.0.0.1:0', workers: 1 },
        admin: { endpoint: '127.0.0.1:0' },
        kafka: { listener: '' },
        log: { data_dir: join(dir, 'data'), brokers: 1, fsync: 'never' },
        ...config(dir),
      }),
      { logger: silentLogger },
    );
    const [, browser] = await Promise.all([gateway.start(), launchBrowser()]);
    const page = await browser.newPage();
    fixture = { gateway, browser, page, problems: watchPage(page), admin: `http://127.0.0.1:${gateway.adminAddress().port}`, dataDir: dir };
  }, 60_000);
  afterAll(async () => {
    await fixture?.browser.close();
    await fixture?.gateway.shutdown();
    rmSync(dir, { recursive: true, force: true });
  });
  return () => fixture!;
}

/**
 * Where the tests put their screenshots: docs/console/ with TRIBUTARY_SCREENSHOTS=1 (to refresh the
 * ones the docs show), else a temporary directory, so a test run leaves the tree as it was.
 */
export function screenshotDir(): string {
  if (process.env.TRIBUTARY_SCREENSHOTS === '1') {
    const dir = join(packageRoot, 'docs', 'console');
    mkdirSync(dir, { recursive: true });
    return dir;
  }
  return mkdtempSync(join(tmpdir(), 'tributary-console-shots-'));
}

/** What went wrong inside the page: uncaught errors and Content-Security-Policy refusals. */
export function watchPage(page: Page): string[] {
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(`page error: ${err instanceof Error ? err.message : String(err)}`));
  page.on('console', (msg) => {
    if (/Content Security Policy/i.test(msg.text())) problems.push(`CSP: ${msg.text()}`);
  });
  page.on('request', (req) => {
    const url = new URL(req.url());
    if (url.protocol !== 'data:' && url.hostname !== '127.0.0.1') problems.push(`request to another origin: ${req.url()}`);
  });
  return problems;
}

/** Waits until the page's visible text contains every one of `texts`. */
export async function waitForText(page: Page, texts: string[], timeout = 20_000): Promise<void> {
  await page.waitForFunction((wanted: string[]) => wanted.every((t) => document.body.textContent?.includes(t)), { timeout, polling: 100 }, texts);
}

/**
 * Whether the page is wider than the screen (a horizontal scroll bar). Against the root's client
 * width, not `innerWidth`: on a phone (`isMobile`) the browser widens its layout viewport to fit a
 * page wider than the screen, so `innerWidth` grows with the very overflow to find.
 */
export function overflowsHorizontally(page: Page): Promise<boolean> {
  return page.evaluate(() => document.documentElement.scrollWidth > document.documentElement.clientWidth);
}
