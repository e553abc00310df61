// Runs on: main thread.
import { readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { type Context, Hono } from 'hono';
import { packageRoot } from '../../paths.js';

/** Where `npm run build` writes the console (scripts/build-console.ts): index.html and assets/. */
export const CONSOLE_DIR = join(packageRoot, 'dist', 'console');

/** The console's URL prefix on the admin port. */
export const CONSOLE_PREFIX = '/ui';

/**
 * The console's shell and assets are served without a token: a browser cannot send a bearer header
 * when it navigates to a page. They hold no data; every /api/v1 call the page makes still needs one.
 */
export function isConsolePath(path: string): boolean {
  return path === CONSOLE_PREFIX || path.startsWith(`${CONSOLE_PREFIX}/`);
}

const CONTENT_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.map': 'application/json; charset=utf-8',
};

/** Nothing from another origin: no CDN, no request leaves the machine, no inline script. */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Asset names as the build writes them (`app-HASH.js`): no path separators, no leading dot. */
const ASSET_NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/;

const NOT_BUILT_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Tributary console not built</title></head>
<body><h1>The console is not built</h1>
<p>This gateway serves the web console from <code>dist/console</code>, which is missing.
Run <code>npm run build</code> in the gateway's directory and reload this page.</p>
<p>The admin API under <code>/api/v1</code> works without it.</p></body></html>`;

function secure(c: Context): void {
  c.header('Content-Security-Policy', CONTENT_SECURITY_POLICY);
  c.header('X-Content-Type-Options', 'nosniff');
  c.header('Referrer-Policy', 'no-referrer');
  c.header('X-Frame-Options', 'DENY');
}

async function readIfPresent(path: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'EISDIR') return undefined;
    throw err;
  }
}

/**
 * The web console: `/ui/assets/NAME` from `dir`/assets (names carry a content hash, so they are
 * cached for good), and the page itself for `/ui` and every other path under it, so that a
 * console URL such as `/ui/groups/debug` can be reloaded or shared (the page routes in the browser).
 * Files are read per request: a console has few users, and a rebuild shows without a restart.
 */
export function consoleRoutes(dir: string = CONSOLE_DIR): Hono {
  const app = new Hono();

  app.get('/assets/:name', async (c) => {
    secure(c);
    const name = c.req.param('name');
    const type = CONTENT_TYPES[extname(name)];
    const body = type && ASSET_NAME.test(name) ? await readIfPresent(join(dir, 'assets', name)) : undefined;
    if (!body) return c.text(`no console asset ${name}`, 404);
    c.header('Content-Type', type);
    c.header('Cache-Control', 'public, max-age=31536000, immutable');
    return c.body(new Uint8Array(body));
  });

  app.get('/assets/*', (c) => {
    secure(c);
    return c.text(`no console asset ${c.req.path}`, 404);
  });

  const page = async (c: Context) => {
    secure(c);
    c.header('Cache-Control', 'no-cache');
    const index = await readIfPresent(join(dir, 'index.html'));
    if (!index) return c.html(NOT_BUILT_PAGE, 503);
    return c.html(index.toString('utf8'));
  };
  app.get('/', page);
  app.get('/*', page);
  return app;
}
