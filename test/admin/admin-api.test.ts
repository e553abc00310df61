import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AdminServer, createAdminServer } from '../../src/admin/server.js';
import { configSchema } from '../../src/config/schema.js';
import type { EmbeddedBackend } from '../../src/log/embedded/embedded-backend.js';
import { silentLogger } from '../../src/telemetry/logger.js';
import { Telemetry } from '../../src/telemetry/telemetry.js';
import { startEmbedded, useDataDirs } from '../log/helpers.js';

const TOKEN = 'admin-token-0123456789abcdef';

// biome-ignore lint/suspicious/noExplicitAny: response bodies are what the assertions check
const json = (res: Response): Promise<any> => res.json();

describe('admin API', () => {
  const dataDir = useDataDirs();
  let backend: EmbeddedBackend;
  let admin: AdminServer;
  let base: string;
  let ready = false;

  beforeAll(async () => {
    backend = await startEmbedded(dataDir(), { brokers: 2 });
    await backend.createTopic({ name: 'spans', partitions: 3 });
    const telemetry = new Telemetry();
    telemetry.counter('tributary_test_things_total', 'things').inc(3);
    admin = createAdminServer({
      config: configSchema.parse({ admin: { endpoint: '127.0.0.1:0' } }).admin,
      backend,
      telemetry,
      logger: silentLogger,
      readiness: () => (ready ? { ready: true } : { ready: false, reason: 'starting' }),
    });
    await admin.start();
    base = `http://127.0.0.1:${admin.address().port}`;
  });
  afterAll(async () => {
    await admin?.shutdown();
    await backend?.shutdown();
  });

  const get = (path: string) => fetch(base + path);
  const send = (method: string, path: string, body: unknown) =>
    fetch(base + path, { method, headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });

  it('answers the health probes; readiness follows the gateway', async () => {
    expect((await get('/healthz')).status).toBe(200);
    const notReady = await get('/readyz');
    expect(notReady.status).toBe(503);
    expect(await json(notReady)).toMatchObject({ reason: 'starting' });
    ready = true;
    expect((await get('/readyz')).status).toBe(200);
  });

  it('serves Prometheus text on /metrics', async () => {
    const res = await get('/metrics');
    expect(res.headers.get('content-type')).toContain('text/plain');
    expect(await res.text()).toContain('tributary_test_things_total 3');
  });

  it('describes the cluster: brokers and controller', async () => {
    const cluster = await json(await get('/api/v1/cluster'));
    expect(cluster.brokers.map((b: { id: number }) => b.id)).toEqual([0, 1]);
    expect(cluster).toHaveProperty('controller');
    expect(cluster).toHaveProperty('clusterId');
  });

  it('lists topics in the documented shape', async () => {
    const { topics } = await json(await get('/api/v1/topics'));
    const spans = topics.find((t: { name: string }) => t.name === 'spans');
    expect(spans.partitions).toHaveLength(3);
    for (const p of spans.partitions) {
      expect(Object.keys(p)).toEqual(expect.arrayContaining(['partition', 'leader', 'replicas', 'isr', 'logStartOffset', 'highWatermark', 'sizeBytes']));
    }
    expect(new Set(spans.partitions.map((p: { leader: number }) => p.leader))).toEqual(new Set([0, 1]));
  });

  it('tells browsers not to sniff its answers, whatever they hold (records are telemetry of anyone)', async () => {
    for (const path of ['/api/v1/topics', '/api/v1/topics/spans/records?partition=0&offset=0', '/api/v1/nowhere', '/metrics', '/healthz']) {
      expect((await get(path)).headers.get('x-content-type-options'), path).toBe('nosniff');
    }
  });

  it('creates a topic, refuses a duplicate and bad names, changes retention', async () => {
    const created = await send('POST', '/api/v1/topics', { name: 'audit', partitions: 2, retentionMs: 3_600_000 });
    expect(created.status).toBe(201);
    expect((await json(created)).partitions).toHaveLength(2);

    const dup = await send('POST', '/api/v1/topics', { name: 'audit', partitions: 2 });
    expect(dup.status).toBe(409);
    expect((await json(dup)).error.code).toBe('TOPIC_EXISTS');

    for (const name of ['../etc', 'a/b', '', '.']) {
      const bad = await send('POST', '/api/v1/topics', { name, partitions: 1 });
      expect(bad.status, name).toBe(400);
      expect((await json(bad)).error.message).toMatch(/name/);
    }
    const badJson = await send('POST', '/api/v1/topics', '{ nope');
    expect(badJson.status).toBe(400);
    expect((await json(badJson)).error.message).toMatch(/not valid JSON/);
    const noPartitions = await send('POST', '/api/v1/topics', { name: 'x' });
    expect((await json(noPartitions)).error.message).toMatch(/partitions/);

    const altered = await send('PATCH', '/api/v1/topics/audit', { retentionBytes: 1_000_000 });
    expect(altered.status).toBe(200);
    expect((await json(altered)).settings).toMatchObject({ retentionMs: 3_600_000, retentionBytes: 1_000_000 });
  });

  it('answers 404 for unknown topics and routes', async () => {
    const res = await get('/api/v1/topics/nothing-here');
    expect(res.status).toBe(404);
    expect((await json(res)).error).toMatchObject({ code: 'UNKNOWN_TOPIC' });
    expect((await get('/api/v1/nope')).status).toBe(404);
    expect((await get('/api/v1/topics/..%2F..%2Fetc')).status).toBe(400);
  });

  it('reads records back with key and value in base64, from the offset asked, at most limit of them', async () => {
    await backend.produce('spans', 1, [
      { key: Buffer.from('k1'), value: Buffer.from('hello'), headers: [{ key: 'content-type', value: 'application/x-protobuf' }], timestamp: 1_700_000_000_000 },
      { key: null, value: Buffer.from('world') },
    ]);
    const res = await get('/api/v1/topics/spans/records?partition=1&offset=0&limit=10');
    expect(res.status).toBe(200);
    const { records } = await json(res);
    expect(records).toHaveLength(2);
    expect(records[0]).toEqual({
      offset: 0,
      timestamp: 1_700_000_000_000,
      key: Buffer.from('k1').toString('base64'),
      headers: [{ key: 'content-type', value: 'application/x-protobuf' }],
      value: Buffer.from('hello').toString('base64'),
    });
    expect(records[1]).toMatchObject({ offset: 1, key: null, value: Buffer.from('world').toString('base64') });

    const page = async (query: string) => (await json(await get(`/api/v1/topics/spans/records?partition=1&${query}`))).records.map((r: { offset: number }) => r.offset);
    expect(await page('offset=0&limit=1')).toEqual([0]);
    expect(await page('offset=1&limit=1')).toEqual([1]);
  });

  it('explains bad record queries', async () => {
    const outOfRange = await get('/api/v1/topics/spans/records?partition=1&offset=99');
    expect(outOfRange.status).toBe(416);
    expect((await json(outOfRange)).error.message).toMatch(/0/);
    const noPartition = await get('/api/v1/topics/spans/records?partition=7');
    expect(noPartition.status).toBe(404);
    expect((await json(noPartition)).error.message).toMatch(/0\.\.2/);
    const badLimit = await get('/api/v1/topics/spans/records?limit=0');
    expect(badLimit.status).toBe(400);
    expect((await json(badLimit)).error.message).toMatch(/limit/);
  });
});

describe('admin API with tokens', () => {
  const dataDir = useDataDirs();

  it('requires a bearer token for the API and metrics, not for the probes', async () => {
    const backend = await startEmbedded(dataDir(), { brokers: 1 });
    const admin = createAdminServer({
      config: configSchema.parse({ admin: { endpoint: '127.0.0.1:0', auth: { tokens: [{ token: TOKEN }] } }, kafka: { listener: '' } }).admin,
      backend,
      telemetry: new Telemetry(),
      logger: silentLogger,
      readiness: () => ({ ready: true }),
    });
    await admin.start();
    const base = `http://127.0.0.1:${admin.address().port}`;
    try {
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
      expect((await fetch(`${base}/readyz`)).status).toBe(200);
      const denied = await fetch(`${base}/api/v1/topics`);
      expect(denied.status).toBe(401);
      expect((await json(denied)).error.code).toBe('UNAUTHENTICATED');
      expect((await fetch(`${base}/metrics`)).status).toBe(401);
      expect((await fetch(`${base}/api/v1/topics`, { headers: { authorization: 'Bearer wrong-token-0123456789' } })).status).toBe(401);
      expect((await fetch(`${base}/api/v1/topics`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
    } finally {
      await admin.shutdown();
      await backend.shutdown();
    }
  });
});
