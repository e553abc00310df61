import { existsSync } from 'node:fs';
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
