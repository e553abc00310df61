import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { createGateway, type Gateway } from '../../src/gateway.js';
import { silentLogger } from '../../src/telemetry/logger.js';

// biome-ignore lint/suspicious/noExplicitAny: response bodies are what the assertions check
const json = (res: Response): Promise<any> => res.json();

/** A whole gateway on free ports, as `tributary start` builds it. */
async function startGateway(dir: string): Promise<{ gateway: Gateway; base: string }> {
  const config = configSchema.parse({
    receiver: { endpoint: '127.0.0.1:0', workers: 1 },
    admin: { endpoint: '127.0.0.1:0' },
    kafka: { listener: '' },
    log: { data_dir: dir, brokers: 1, fsync: 'never' },
    topics: { otlp_spans: { partitions: 2 } },
  });
  const gateway = createGateway(config, { logger: silentLogger });
  await gateway.start();
  return { gateway, base: `http://127.0.0.1:${gateway.adminAddress().port}` };
}

describe('admin requests that must be refused', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-admin-refused-'));
  let gateway: Gateway;
  let base: string;
  beforeAll(async () => {
    ({ gateway, base } = await startGateway(dir));
    await gateway.backend.produce('otlp_spans', 1, [{ key: null, value: Buffer.from('a') }, { key: null, value: Buffer.from('b') }]);
  });
  afterAll(async () => {
    await gateway?.shutdown();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a request body over 1 MiB with 413, declared or chunked, and serves the next request', async () => {
    // The answer comes before the body is all sent, so the client must read it while still writing.
    const big = Buffer.from(JSON.stringify({ name: 'huge', partitions: 1, padding: 'x'.repeat(2 * 1024 * 1024) }));
    const { port } = new URL(base);
    const declared = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: '/api/v1/topics', method: 'POST', headers: { 'content-type': 'application/json', 'content-length': big.length } }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => {
          body += c.toString();
        });
        res.on('end', () => resolve({ status: res.statusCode!, body }));
      });
      req.on('error', (err: NodeJS.ErrnoException) => {
        if (err.code !== 'EPIPE' && err.code !== 'ECONNRESET') reject(err);
      });
      req.end(big);
    });
    expect(declared.status).toBe(413);
    expect(JSON.parse(declared.body).error.message).toMatch(/larger than 1048576 bytes/);
    const chunks = new ReadableStream({
      start(controller) {
        for (let i = 0; i < 3; i++) controller.enqueue(new TextEncoder().encode('x'.repeat(512 * 1024)));
        controller.close();
      },
    });
    const chunked = await fetch(`${base}/api/v1/pipelines`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: chunks, duplex: 'half' } as RequestInit);
    expect(chunked.status).toBe(413);
    expect((await fetch(`${base}/api/v1/topics`)).status).toBe(200);
  });

  it('answers a method the path does not serve with 405 and Allow, and a path nothing serves with 404', async () => {
    const cases: [method: string, path: string, allow: string][] = [
      ['DELETE', '/api/v1/topics', 'GET, HEAD, POST'],
      ['PUT', '/api/v1/topics/otlp_spans', 'GET, HEAD, PATCH, DELETE'],
      ['POST', '/api/v1/topics/otlp_spans/records', 'GET, HEAD'],
      ['GET', '/api/v1/groups/some-group/offsets', 'POST'],
      ['POST', '/healthz', 'GET, HEAD'],
      ['DELETE', '/metrics', 'GET, HEAD'],
    ];
    for (const [method, path, allow] of cases) {
      const res = await fetch(base + path, { method });
      expect(res.status, `${method} ${path}`).toBe(405);
      expect(res.headers.get('allow'), `${method} ${path}`).toBe(allow);
      expect(await json(res)).toEqual({ error: { code: 'METHOD_NOT_ALLOWED', message: `${method} is not allowed on ${path}; allowed: ${allow}` } });
    }
    const unknown = await fetch(`${base}/api/v1/nothing`, { method: 'POST' });
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('allow')).toBeNull();
    expect((await json(unknown)).error.code).toBe('NOT_FOUND');
  });

  it('refuses record query parameters that are not plain whole numbers in range, naming the parameter', async () => {
    const cases: [query: string, parameter: string][] = [
      ['partition=1.5', 'partition'],
      ['offset=12abc', 'offset'],
      ['limit=-1', 'limit'],
      ['limit=0', 'limit'],
      ['limit=1001', 'limit'],
      ['offset=99999999999999999999', 'offset'],
      ['partition=2147483648', 'partition'],
      ['offset=', 'offset'],
      ['limit=0x10', 'limit'],
      ['limit=1e2', 'limit'],
      ['offset=%201', 'offset'],
    ];
    for (const [query, parameter] of cases) {
      const res = await fetch(`${base}/api/v1/topics/otlp_spans/records?${query}`);
      expect(res.status, query).toBe(400);
      const { error } = await json(res);
      expect(error.code, query).toBe('INVALID_REQUEST');
      expect(error.message, query).toMatch(new RegExp(`^${parameter}: expected a whole number from \\d+ to \\d+, not ".*"$`));
    }
    const typo = await fetch(`${base}/api/v1/topics/otlp_spans/records?parition=1`);
    expect(typo.status).toBe(400);
    expect((await json(typo)).error.message).toBe('query: unknown key "parition"');

    const ok = await fetch(`${base}/api/v1/topics/otlp_spans/records?partition=1&offset=1&limit=1`);
    expect(ok.status).toBe(200);
    expect((await json(ok)).records.map((r: { value: string }) => Buffer.from(r.value, 'base64').toString())).toEqual(['b']);
  });

  it('refuses integers in JSON bodies that are fractions or past the safe range, naming the field', async () => {
    for (const offset of [1.5, 1e300, -1]) {
      const res = await fetch(`${base}/api/v1/groups/idle/offsets`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ to: 'offset', offset }),
      });
      expect(res.status, String(offset)).toBe(400);
      expect((await json(res)).error.message, String(offset)).toMatch(/^offset: /);
    }
  });

  it('refuses a bad offset reset naming the field: an empty topic list, a time that is not one, a topic name no topic can have', async () => {
    const reset = async (body: unknown) => {
      const res = await fetch(`${base}/api/v1/groups/idle/offsets`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      return { status: res.status, error: (await json(res)).error as { code: string; message: string; field?: string } };
    };
    const cases: [body: unknown, field: string, message: RegExp][] = [
      [{ to: 'earliest', topics: [] }, 'topics', /^topics: expected at least one topic; leave the key out for every topic the group committed$/],
      [{ to: 'timestamp', timestamp: 'yesterday' }, 'timestamp', /^timestamp: expected milliseconds since the epoch or an ISO-8601 time/],
      [{ to: 'timestamp' }, 'timestamp', /^timestamp: expected milliseconds since the epoch or an ISO-8601 time/],
      [{ to: 'earliest', topics: ['a/b'] }, 'topics[0]', /^topics\[0\]: expected 1-249 characters/],
      [{ to: 'offset', offset: 'ten' }, 'offset', /^offset: /],
      [{ to: 'earliest', extra: 1 }, 'extra', /unknown key "extra"/],
    ];
    for (const [body, field, message] of cases) {
      const { status, error } = await reset(body);
      expect(status, JSON.stringify(body)).toBe(400);
      expect(error.field, JSON.stringify(body)).toBe(field);
      expect(error.message, JSON.stringify(body)).toMatch(message);
    }
  });
});

describe('admin auth built without the config schema', () => {
  it('lets nobody in when the token list is empty', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tributary-admin-refused-'));
    // The schema refuses `tokens: []`; a config assembled in code must fail closed all the same.
    const config = configSchema.parse({
      receiver: { endpoint: '127.0.0.1:0', workers: 1 },
      admin: { endpoint: '127.0.0.1:0' },
      kafka: { listener: '' },
      log: { data_dir: dir, brokers: 1, fsync: 'never' },
    });
    const closed = createGateway({ ...config, admin: { ...config.admin, auth: { tokens: [] } } }, { logger: silentLogger });
    await closed.start();
    try {
      const url = `http://127.0.0.1:${closed.adminAddress().port}`;
      expect((await fetch(`${url}/api/v1/topics`)).status).toBe(401);
      expect((await fetch(`${url}/api/v1/topics`, { headers: { authorization: 'Bearer anything-at-all-0123' } })).status).toBe(401);
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
    } finally {
      await closed.shutdown();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
