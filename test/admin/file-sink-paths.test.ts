import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { makeSpans } from '../otlp/fixtures.js';
import { eventually } from '../sinks/helpers.js';
import { api, sendSpans, type SubscriptionGateway, startSubscriptionGateway } from '../subscriptions/helpers.js';

const fileSubscription = (group: string, path: string, more: Record<string, unknown> = {}) => ({
  group,
  topics: ['otlp_spans'],
  sink: { type: 'file', path, ...more },
  batch: { max_wait: '5ms' },
  start: 'earliest',
});

describe('file sink paths given through the pipelines API', () => {
  let gw: SubscriptionGateway;
  beforeAll(async () => {
    gw = await startSubscriptionGateway();
  });
  afterAll(() => gw?.close());

  it("refuses a file inside log.data_dir, however it is spelt, and the gateway's own files stay whole across a restart", async () => {
    const metadata = join(gw.dataDir, 'meta', 'cluster.json');
    const before = readFileSync(metadata, 'utf8');
    const spellings = [
      metadata,
      join(gw.dataDir, 'meta', 'pipelines.json'),
      join(gw.dataDir, 'topics', 'otlp_spans-0', 'exported.jsonl'),
      join(gw.dataDir, 'new-file.jsonl'),
      join(gw.dataDir, '..hidden.jsonl'),
      `${gw.dataDir}/../${gw.dataDir.split('/').at(-1)}/meta/cluster.json`,
      relative(process.cwd(), metadata),
    ];
    for (const [i, path] of spellings.entries()) {
      const answer = await api(gw.admin, 'POST', '/api/v1/pipelines', fileSubscription(`inside-${i}`, path));
      expect([path, answer.status, answer.body]).toEqual([
        path,
        400,
        { error: { code: 'INVALID_REQUEST', field: 'sink.path', message: expect.stringMatching(/^sink\.path: .*inside log\.data_dir/) } },
      ]);
    }
    await sendSpans(gw.receiver, makeSpans({ traces: 3, spansPerTrace: 2 }));
    await gw.restart();
    expect(readFileSync(metadata, 'utf8')).toBe(before);
    const { body } = await api<{ pipelines: { group: string }[] }>(gw.admin, 'GET', '/api/v1/pipelines');
    expect(body.pipelines).toEqual([]);
  });

  it('refuses a second pipeline writing the file another one writes (its rolls would rename the other\'s file)', async () => {
    const file = join(gw.dataDir, '..', 'shared.jsonl');
    expect((await api(gw.admin, 'POST', '/api/v1/pipelines', fileSubscription('first-writer', file))).status).toBe(201);
    const again = await api(gw.admin, 'POST', '/api/v1/pipelines', fileSubscription('second-writer', `${file}.gz`, { compression: 'none' }));
    expect(again.status).toBe(201);
    // The same file, spelt another way: with gzip, `shared.jsonl` is written as `shared.jsonl.gz`.
    const clash = await api(gw.admin, 'POST', '/api/v1/pipelines', fileSubscription('third-writer', file, { compression: 'gzip' }));
    expect(clash).toEqual({
      status: 400,
      body: { error: { code: 'INVALID_REQUEST', field: 'sink.path', message: expect.stringMatching(/^sink\.path: .*also the file of pipeline "second-writer"/) } },
    });
  });
});

describe('file sink paths with sinks.file_dir set', () => {
  const outside = mkdtempSync(join(tmpdir(), 'tributary-outside-'));
  const exports = mkdtempSync(join(tmpdir(), 'tributary-exports-'));
  let gw: SubscriptionGateway;
  beforeAll(async () => {
    symlinkSync(outside, join(exports, 'link-out'));
    mkdirSync(join(exports, 'team-a'));
    // A config pipeline is the operator's: it may write outside the directory teams are given.
    gw = await startSubscriptionGateway({
      sinks: { workers: 1, file_dir: exports },
      pipelines: [{ group: 'operator', topics: ['otlp_spans'], sink: { type: 'file', path: join(outside, 'operator.jsonl') } }],
    });
  });
  afterAll(async () => {
    await gw?.close();
    rmSync(outside, { recursive: true, force: true });
    rmSync(exports, { recursive: true, force: true });
  });

  it('takes API file sinks inside it only, a symbolic link out of it or ".." included, and writes there', async () => {
    const refused = [join(outside, 'victim.jsonl'), join(exports, '..', 'escape.jsonl'), join(exports, 'link-out', 'through-link.jsonl'), '/etc/passwd'];
    for (const [i, path] of refused.entries()) {
      const answer = await api(gw.admin, 'POST', '/api/v1/pipelines', fileSubscription(`outside-${i}`, path));
      expect([path, answer.status, answer.body]).toEqual([
        path,
        400,
        { error: { code: 'INVALID_REQUEST', field: 'sink.path', message: expect.stringMatching(/^sink\.path: .*outside sinks\.file_dir/) } },
      ]);
    }
    const file = join(exports, 'team-a', 'spans.jsonl');
    expect((await api(gw.admin, 'POST', '/api/v1/pipelines', fileSubscription('inside', file))).status).toBe(201);
    await sendSpans(gw.receiver, makeSpans({ traces: 2, spansPerTrace: 1 }));
    await eventually('spans in the file', () => {
      try {
        return readFileSync(file, 'utf8').includes('resourceSpans');
      } catch {
        return false;
      }
    });
  });
});

describe('a stored subscription whose file sink is in log.data_dir (stored before it was refused)', () => {
  it('is listed as failed and not run, and the gateway starts', async () => {
    const gw = await startSubscriptionGateway();
    try {
      const metadata = join(gw.dataDir, 'meta', 'cluster.json');
      const before = readFileSync(metadata, 'utf8');
      await gw.gateway.shutdown();
      writeFileSync(
        join(gw.dataDir, 'meta', 'pipelines.json'),
        JSON.stringify({
          version: 1,
          subscriptions: [{ pipeline: { group: 'old', topics: ['otlp_spans'], sink: { type: 'file', path: metadata } }, paused: false, createdAt: new Date().toISOString() }],
        }),
      );
      await gw.restart();
      const { body } = await api<{ group: string; state: string; error: string }>(gw.admin, 'GET', '/api/v1/pipelines/old');
      expect(body).toMatchObject({ group: 'old', state: 'failed', error: expect.stringMatching(/sink\.path: .*inside log\.data_dir/) });
      await sendSpans(gw.receiver, makeSpans({ traces: 2, spansPerTrace: 1 }));
      await gw.restart();
      expect(readFileSync(metadata, 'utf8')).toBe(before);
    } finally {
      await gw.close();
    }
  });
});

describe('file sink paths in the config file', () => {
  const base = {
    receiver: { endpoint: '127.0.0.1:0' },
    admin: { endpoint: '127.0.0.1:0' },
    log: { data_dir: '/var/lib/tributary' },
  };
  const issues = (pipelines: unknown[]) => {
    const result = configSchema.safeParse({ ...base, pipelines });
    return result.success ? [] : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  };

  it('refuses a file sink inside log.data_dir and two file sinks on one file, naming the key', () => {
    expect(issues([{ group: 'a', topics: ['otlp_spans'], sink: { type: 'file', path: '/var/lib/tributary/meta/metadata.json' } }])).toEqual([
      expect.stringMatching(/^pipelines\.0\.sink\.path: "\/var\/lib\/tributary\/meta\/metadata\.json" is inside log\.data_dir/),
    ]);
    expect(
      issues([
        { group: 'a', topics: ['otlp_spans'], sink: { type: 'file', path: '/srv/out/spans.jsonl' } },
        { group: 'b', topics: ['otlp_logs'], sink: { type: 'file', path: '/srv/out/../out/spans.jsonl' } },
      ]),
    ).toEqual([expect.stringMatching(/^pipelines\.1\.sink\.path: .*also the file of pipelines\[0\]/)]);
    // Beside the data directory (a name that merely starts the same) is fine.
    expect(issues([{ group: 'a', topics: ['otlp_spans'], sink: { type: 'file', path: '/var/lib/tributary-exports/spans.jsonl' } }])).toEqual([]);
  });
});
