import { request } from 'node:http';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildConsole } from '../../scripts/build-console.js';
import { type AdminServer, createAdminServer } from '../../src/admin/server.js';
import { configSchema } from '../../src/config/schema.js';
import type { EmbeddedBackend } from '../../src/log/embedded/embedded-backend.js';
import { silentLogger } from '../../src/telemetry/logger.js';
import { Telemetry } from '../../src/telemetry/telemetry.js';
import { startEmbedded } from '../log/helpers.js';

const TOKEN = 'console-token-0123456789abcdef';

/** A GET with the path sent exactly as written (fetch would resolve `..` first). */
function rawGet(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'GET' }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => {
        body += c.toString();
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the console served on the admin port', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-console-routes-'));
  const built = join(dir, 'console');
  const notBuilt = join(dir, 'missing');
  let backend: EmbeddedBackend;
  const admins: AdminServer[] = [];
  let base: string;
  let port: number;

  const startAdmin = async (consoleDir: string) => {
    const admin = createAdminServer({
      config: configSchema.parse({ admin: { endpoint: '127.0.0.1:0', auth: { tokens: [{ token: TOKEN }] } }, kafka: { listener: '' } }).admin,
      backend,
      telemetry: new Telemetry(),
      logger: silentLogger,
      readiness: () => ({ ready: true }),
      consoleDir,
    });
    await admin.start();
    admins.push(admin);
    return admin.address().port;
  };

  beforeAll(async () => {
    await buildConsole(built);
    backend = await startEmbedded(join(dir, 'data'));
    await backend.createTopic({ name: 'spans', partitions: 1 });
    port = await startAdmin(built);
    base = `http://127.0.0.1:${port}`;
  });
  afterAll(async () => {
    for (const admin of admins) await admin.shutdown();
    await backend?.shutdown();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the page without a token, with a CSP that allows nothing from another origin', async () => {
    const res = await fetch(`${base}/ui`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('cache-control')).toBe('no-cache');
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).not.toMatch(/https?:|\*/);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    const html = await res.text();
    expect(html).toMatch(/<script type="module" src="\/ui\/assets\/main-[A-Z0-9]+\.js">/);
    expect(html).not.toMatch(/https?:\/\//);
  });

  it('answers every console path with the page, so a console URL can be reloaded', async () => {
    const page = await (await fetch(`${base}/ui`)).text();
    for (const path of ['/ui/', '/ui/groups/debug', '/ui/tail?topic=otlp_spans']) {
      const res = await fetch(base + path);
      expect(res.status, path).toBe(200);
      expect(await res.text(), path).toBe(page);
    }
  });

  it('serves the built assets with their content types, cached for good, and 404 for any other', async () => {
    const assets = readdirSync(join(built, 'assets'));
    const js = assets.find((a) => a.endsWith('.js'))!;
    const css = assets.find((a) => a.endsWith('.css'))!;
    const script = await fetch(`${base}/ui/assets/${js}`);
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(script.headers.get('cache-control')).toContain('immutable');
    expect((await script.text()).length).toBeGreaterThan(1000);
    expect((await fetch(`${base}/ui/assets/${css}`)).headers.get('content-type')).toBe('text/css; charset=utf-8');
    for (const path of ['/ui/assets/main-NOPE.js', '/ui/assets/index.html', '/ui/assets/.hidden.js', '/ui/assets/x/y.js']) {
      expect((await fetch(base + path)).status, path).toBe(404);
    }
    expect((await rawGet(port, '/ui/assets/..%2Findex.html')).status).toBe(404);
  });

  it('lets only the console through without a token: the API and metrics still need one', async () => {
    expect((await fetch(`${base}/api/v1/topics`)).status).toBe(401);
    expect((await fetch(`${base}/metrics`)).status).toBe(401);
    expect((await fetch(`${base}/uix`)).status).toBe(401);
    expect((await fetch(`${base}/api/v1/topics`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
    // Paths that start under /ui but lead elsewhere get the page or a refusal, never API data.
    for (const path of ['/ui/../api/v1/topics', '/ui/%2e%2e/api/v1/topics', '/ui/..%2Fapi/v1/topics', '/ui%2F../api/v1/topics']) {
      const res = await rawGet(port, path);
      expect(res.body, path).not.toContain('"topics"');
      expect([200, 401, 404], path).toContain(res.status);
    }
    const post = await fetch(`${base}/ui`, { method: 'POST' });
    expect(post.status).toBe(405);
  });

  it('says how to build the console when its assets are missing', async () => {
    const other = await startAdmin(notBuilt);
    const res = await fetch(`http://127.0.0.1:${other}/ui/topics`);
    expect(res.status).toBe(503);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await res.text()).toContain('npm run build');
    expect((await fetch(`http://127.0.0.1:${other}/ui/assets/main-X.js`)).status).toBe(404);
  });
});
