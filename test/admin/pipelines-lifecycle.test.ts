import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { createGateway } from '../../src/gateway.js';
import { silentLogger } from '../../src/telemetry/logger.js';
import { api, type SubscriptionGateway, startSubscriptionGateway } from '../subscriptions/helpers.js';

/**
 * A directory the kernel refuses to create although its parent exists: it answers ENOENT, on which
 * Node's own `mkdir({ recursive: true })` loops for ever.
 */
const UNCREATABLE = '/proc/tributary-no-such-dir';
const procReason = existsSync('/proc/self') ? undefined : 'no /proc on this system';
if (procReason) console.log(`skipping the /proc checks: ${procReason}`);

describe('the pipelines API over a gateway\'s lifetime', () => {
  let gw: SubscriptionGateway;
  beforeAll(async () => {
    gw = await startSubscriptionGateway();
  });
  afterAll(async () => {
    await gw?.close();
  });

  it.skipIf(procReason !== undefined)(
    'answers a file subscription whose directory cannot be created, and the gateway stops and starts again with it stored',
    async () => {
      const created = await api(gw.admin, 'POST', '/api/v1/pipelines', {
        group: 'unwritable',
        topics: ['otlp_spans'],
        sink: { type: 'file', path: `${UNCREATABLE}/out.jsonl` },
      });
      // As at start: a file that cannot be opened yet does not refuse the pipeline; its exports retry.
      expect(created.status).toBe(201);
      // The next change is not held up behind it.
      expect((await api(gw.admin, 'POST', '/api/v1/pipelines/unwritable/pause')).body.state).toBe('paused');
      await gw.restart();
      expect((await api(gw.admin, 'GET', '/api/v1/pipelines/unwritable')).body.state).toBe('paused');
      expect((await api(gw.admin, 'POST', '/api/v1/pipelines/unwritable/resume')).body.state).toBe('running');
      await gw.restart();
      expect((await api(gw.admin, 'GET', '/api/v1/pipelines/unwritable')).body.state).toBe('running');
    },
    30_000,
  );

  it('refuses batches that would spin or hold without bound and timers Node would fire at once, naming the field', async () => {
    const base = { topics: ['otlp_spans'], sink: { type: 'debug' } };
    const cases: [body: Record<string, unknown>, field: string][] = [
      [{ group: 'zero-bytes', ...base, batch: { max_bytes: 0 } }, 'batch.max_bytes'],
      [{ group: 'huge-bytes', ...base, batch: { max_bytes: 1e15 } }, 'batch.max_bytes'],
      [{ group: 'huge-records', ...base, batch: { max_records: 1e12 } }, 'batch.max_records'],
      [{ group: 'long-retry', ...base, retry: { initial_interval: 1e15 } }, 'retry.initial_interval'],
      [{ group: 'long-wait', ...base, batch: { max_wait: '30d' } }, 'batch.max_wait'],
    ];
    for (const [body, field] of cases) {
      const answer = await api<{ error: { field: string; message: string } }>(gw.admin, 'POST', '/api/v1/pipelines', body);
      expect(answer.status, field).toBe(400);
      expect(answer.body.error.field).toBe(field);
      expect(answer.body.error.message).toMatch(new RegExp(`^${field.replace('.', '\\.')}: expected at (least|most)`));
    }
    const { body } = await api<{ pipelines: { group: string }[] }>(gw.admin, 'GET', '/api/v1/pipelines');
    expect(body.pipelines.map((p) => p.group)).not.toContain('zero-bytes');
  });

  it("shows each pipeline's assignor, its own or else the groups block's, without storing the default", async () => {
    const base = { topics: ['otlp_spans'], sink: { type: 'debug' } };
    expect((await api(gw.admin, 'POST', '/api/v1/pipelines', { group: 'own-assignor', ...base, assignor: 'range' })).status).toBe(201);
    const created = await api<{ assignor?: string }>(gw.admin, 'POST', '/api/v1/pipelines', { group: 'default-assignor', ...base });
    expect(created.status).toBe(201);
    expect(created.body.assignor).toBe('sticky');
    const { body } = await api<{ pipelines: { group: string; assignor?: string }[] }>(gw.admin, 'GET', '/api/v1/pipelines');
    expect(Object.fromEntries(body.pipelines.map((p) => [p.group, p.assignor]))).toMatchObject({ 'own-assignor': 'range', 'default-assignor': 'sticky' });
    // Stored as given: a later groups.assignor still applies to it.
    const stored = JSON.parse(readFileSync(join(gw.dataDir, 'meta', 'pipelines.json'), 'utf8')) as unknown;
    expect(JSON.stringify(stored)).not.toMatch(/"assignor":"sticky"/);
  });

  it.skipIf(procReason !== undefined)('refuses a data directory that cannot be created, naming log.data_dir', async () => {
    const config = configSchema.parse({
      receiver: { endpoint: '127.0.0.1:0', workers: 1 },
      admin: { endpoint: '127.0.0.1:0' },
      kafka: { listener: '' },
      log: { data_dir: `${UNCREATABLE}/data`, brokers: 1 },
    });
    const gateway = createGateway(config, { logger: silentLogger });
    await expect(gateway.start()).rejects.toThrow(/log\.data_dir/);
    await gateway.shutdown();
  }, 30_000);
});
