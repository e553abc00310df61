import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { createGateway, type Gateway } from '../../src/gateway.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { makeSpans } from '../otlp/fixtures.js';
import { eventually, sendSpans, startReceiver, type TestReceiver } from '../sinks/helpers.js';

// biome-ignore lint/suspicious/noExplicitAny: response bodies are what the assertions check
const json = (res: Response): Promise<any> => res.json();

/** Every secret the sink URL below carries: its user's password and an API key in its query. */
const SECRETS = /hunter2-password|query-api-key-123/;

describe('a sink URL holding credentials', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-sink-secrets-'));
  const logLines: string[] = [];
  let gateway: Gateway;
  let admin: string;
  let sink: TestReceiver;
  const seen: { authorization?: string; path: string }[] = [];
  beforeAll(async () => {
    sink = await startReceiver();
    // A permanent refusal whose reason echoes nothing: the batch goes to the dead-letter topic at once.
    sink.respond = (req) => {
      seen.push({ authorization: req.headers.authorization, path: req.path });
      return { status: 400, body: 'no' };
    };
    const config = configSchema.parse({
      receiver: { endpoint: '127.0.0.1:0', workers: 1 },
      admin: { endpoint: '127.0.0.1:0' },
      kafka: { listener: '' },
      log: { data_dir: join(dir, 'data'), brokers: 1, fsync: 'never' },
      topics: { otlp_spans: { partitions: 1 } },
      sinks: { workers: 1 },
    });
    gateway = createGateway(config, { logger: createLogger('test', { level: 'debug', write: (line) => logLines.push(line) }) });
    await gateway.start();
    admin = `http://127.0.0.1:${gateway.adminAddress().port}`;
  });
  afterAll(async () => {
    await gateway?.shutdown();
    await sink?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('shows none of them in the API, the logs or the dead-letter headers, and the sink still gets them', async () => {
    const url = new URL(sink.url);
    url.username = 'team';
    url.password = 'hunter2-password';
    url.pathname = '/hook';
    url.search = '?api_key=query-api-key-123&region=eu';
    const created = await fetch(`${admin}/api/v1/pipelines`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ group: 'leaky', topics: ['otlp_spans'], sink: { type: 'webhook', endpoint: url.toString() }, batch: { max_wait: '5ms' } }),
    });
    expect(created.status).toBe(201);
    const shown = JSON.stringify([await json(created), await json(await fetch(`${admin}/api/v1/pipelines/leaky`))]);
    expect(shown).not.toMatch(SECRETS);
    // What is not a secret stays readable, so an operator can still tell which endpoint it is.
    expect(shown).toContain('region=eu');

    await sendSpans(`http://127.0.0.1:${gateway.receiverAddress().port}`, makeSpans({ traces: 1, spansPerTrace: 1 }));
    const dead = await eventually('the refused batch in the dead-letter topic', async () => {
      const res = await fetch(`${admin}/api/v1/topics/leaky.dlq/records`);
      const records = res.status === 200 ? (await json(res)).records : [];
      return records.length > 0 ? records : undefined;
    });
    const headers = JSON.stringify(dead[0].headers);
    expect(headers).toContain('dlq.error.message');
    expect(headers).toContain('answered 400');
    expect(headers).not.toMatch(SECRETS);
    expect(logLines.join('\n')).toContain('answered 400');
    expect(logLines.join('\n')).not.toMatch(SECRETS);
    // The destination itself got the credentials it was given.
    expect(seen[0]).toEqual({ authorization: `Basic ${Buffer.from('team:hunter2-password').toString('base64')}`, path: '/hook?api_key=query-api-key-123&region=eu' });
  });
});
