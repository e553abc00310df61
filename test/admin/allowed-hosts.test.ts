import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AdminServer, createAdminServer } from '../../src/admin/server.js';
import { configSchema } from '../../src/config/schema.js';
import type { EmbeddedBackend } from '../../src/log/embedded/embedded-backend.js';
import { silentLogger } from '../../src/telemetry/logger.js';
import { Telemetry } from '../../src/telemetry/telemetry.js';
import { startEmbedded, useDataDirs } from '../log/helpers.js';

/** A GET naming `host` in its Host header, as a browser on a page of that name sends it. */
function getAs(port: number, host: string, path = '/api/v1/topics', token?: string): Promise<{ status: number; body: string; nosniff: boolean }> {
  return new Promise((resolve, reject) => {
    const headers = { host, ...(token ? { authorization: `Bearer ${token}` } : {}) };
    const req = request({ host: '127.0.0.1', port, path, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, nosniff: res.headers['x-content-type-options'] === 'nosniff' }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the admin API and the host a request names (DNS rebinding)', () => {
  const dataDir = useDataDirs();
  let backend: EmbeddedBackend;
  const servers: AdminServer[] = [];

  async function startAdmin(admin: Record<string, unknown>): Promise<number> {
    const server = createAdminServer({
      config: configSchema.parse({ admin, kafka: { listener: '' } }).admin,
      backend,
      telemetry: new Telemetry(),
      logger: silentLogger,
      readiness: () => ({ ready: true }),
    });
    servers.push(server);
    await server.start();
    return server.address().port;
  }

  beforeAll(async () => {
    backend = await startEmbedded(dataDir(), { brokers: 1 });
  });
  afterAll(async () => {
    for (const server of servers) await server.shutdown();
    await backend?.shutdown();
  });

  it('on a loopback address, refuses a request naming another host with 403 and serves loopback names', async () => {
    const port = await startAdmin({ endpoint: '127.0.0.1:0' });
    const rebound = await getAs(port, `rebound.example:${port}`);
    expect(rebound.status).toBe(403);
    expect(JSON.parse(rebound.body).error).toEqual({ code: 'HOST_NOT_ALLOWED', message: expect.stringContaining('"rebound.example:') });
    expect(rebound.nosniff).toBe(true);
    expect((await getAs(port, `rebound.example:${port}`, '/metrics')).status).toBe(403);
    expect((await getAs(port, `10.1.2.3:${port}`)).status).toBe(403);
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, 'LOCALHOST', `[::1]:${port}`, `127.0.0.2:${port}`]) {
      expect((await getAs(port, host)).status, host).toBe(200);
    }
  });

  it('knows a loopback endpoint in any spelling of its address', async () => {
    const port = await startAdmin({ endpoint: '[0:0:0:0:0:0:0:1]:0' });
    const rebound = await new Promise<number>((resolve, reject) => {
      request({ host: '::1', port, path: '/api/v1/topics', headers: { host: 'rebound.example' } }, (res) => resolve(res.statusCode ?? 0))
        .on('error', reject)
        .end();
    });
    expect(rebound).toBe(403);
  });

  it('serves the names in admin.allowed_hosts (a reverse proxy that passes its public name on)', async () => {
    const port = await startAdmin({ endpoint: '127.0.0.1:0', allowed_hosts: ['Tributary.Example.com'] });
    expect((await getAs(port, 'tributary.example.com')).status).toBe(200);
    expect((await getAs(port, `tributary.example.com:${port}`)).status).toBe(200);
    expect((await getAs(port, 'other.example.com')).status).toBe(403);
  });

  it('on every address without admin.auth, serves IP addresses, loopback names and admin.allowed_hosts only (a page rebound to a LAN or container address)', async () => {
    const port = await startAdmin({ endpoint: '0.0.0.0:0', allowed_hosts: ['tributary'] });
    const rebound = await getAs(port, `rebound.example:${port}`);
    expect(rebound.status).toBe(403);
    expect(JSON.parse(rebound.body).error.message).toContain('an IP address, a loopback host or one of admin.allowed_hosts');
    for (const host of [`tributary:${port}`, `10.1.2.3:${port}`, `[fd00::5]:${port}`, `localhost:${port}`]) {
      expect((await getAs(port, host)).status, host).toBe(200);
    }
  });

  it('on every address with admin.auth, serves any name that brings the token (a rebound page has none)', async () => {
    const port = await startAdmin({ endpoint: '0.0.0.0:0', auth: { tokens: [{ token: 'admin-token' }] } });
    expect((await getAs(port, `tributary.example.com:${port}`, '/api/v1/topics', 'admin-token')).status).toBe(200);
    expect((await getAs(port, `rebound.example:${port}`)).status).toBe(401);
  });
});
