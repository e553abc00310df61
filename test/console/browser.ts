import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { packageRoot } from '../../src/paths.js';
import { capability } from '../capability.js';

/** Debian's chromium; another one with TRIBUTARY_CHROMIUM. */
export const CHROMIUM = process.env.TRIBUTARY_CHROMIUM ?? '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu'];

/** Whether headless Chromium runs here: skipped with the reason where not, a failure under CI=true. */
export function chromiumAvailable(): boolean {
  return capability('headless Chromium', [CHROMIUM, ...ARGS, '--dump-dom', 'about:blank']);
}

export function launchBrowser(): Promise<Browser> {
  return puppeteer.launch({ executablePath: CHROMIUM, args: ARGS, defaultViewport: { width: 1280, height: 800 } });
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

/** Whether the page is wider than the screen (a horizontal scroll bar). */
export function overflowsHorizontally(page: Page): Promise<boolean> {
  return page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);
}
