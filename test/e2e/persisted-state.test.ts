import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { freePorts } from '../../bench/lib/gateway-process.js';
import { capability } from '../capability.js';
import { type GatewayProcess, startGatewayProcess, tributary } from './cli-process.js';

/**
 * Nothing a request, an admin call or a config writes may stop the next start: each test makes
 * the change the way a user would, then starts the gateway again on the same data directory.
 */

const SIGNAL_TOPICS = { otlp_spans: { partitions: 1 }, otlp_metrics: { partitions: 1 }, otlp_logs: { partitions: 1 }, otlp_events: { partitions: 1 } };
/** The process may open 1024 files (hard limit, so Node cannot raise it): room for 128 partitions. */
const FILE_LIMIT_1024 = ['prlimit', '--nofile=1024:1024'];
const canLimit = process.platform === 'linux' && capability('running a command with a lower open-file limit', [...FILE_LIMIT_1024, 'true']);

let workDir: string;
const running: GatewayProcess[] = [];
afterEach(async () => {
  for (const g of running.splice(0)) {
    try {
      process.kill(g.pid, 'SIGKILL');
    } catch {}
  }
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

function setUp(): { dataDir: string; config: (extra?: { log?: object; topics?: object }) => string } {
  workDir = mkdtempSync(join(tmpdir(), 'tributary-persisted-'));
  const dataDir = join(workDir, 'data');
  mkdirSync(dataDir);
  let n = 0;
  return {
    dataDir,
    config(extra = {}) {
      const file = join(workDir, `tributary-${n++}.yaml`);
      const config = {
        receiver: { endpoint: '${env:TRIBUTARY_RECEIVER_ENDPOINT}', workers: 1 },
        admin: { endpoint: '${env:TRIBUTARY_ADMIN_ENDPOINT}' },
        kafka: { listener: '' },
        log: { data_dir: '${env:TRIBUTARY_DATA_DIR}', brokers: 1, ...extra.log },
        topics: { ...SIGNAL_TOPICS, ...extra.topics },
      };
      writeFileSync(file, stringify(config));
      return file;
    },
  };
}

async function start(dataDir: string, config: string, wrapper?: string[]): Promise<GatewayProcess> {
  const gateway = await startGatewayProcess({ dataDir, config, wrapper });
  running.push(gateway);
  return gateway;
}

async function restart(gateway: GatewayProcess, config: string, wrapper?: string[]): Promise<GatewayProcess> {
  expect(await gateway.stop()).toBe(0);
  running.splice(running.indexOf(gateway), 1);
  return start(gateway.dataDir, config, wrapper);
}

/** `tributary start` that is expected to fail: its exit code and what it printed. */
async function failedStart(dataDir: string, config: string, wrapper: string[] = []) {
  const [receiver, admin] = await freePorts(2);
  const env = { TRIBUTARY_DATA_DIR: dataDir, TRIBUTARY_RECEIVER_ENDPOINT: `127.0.0.1:${receiver}`, TRIBUTARY_ADMIN_ENDPOINT: `127.0.0.1:${admin}` };
  return tributary(['start', '--config', config], env, wrapper);
}

/** What these tests read of the admin API's answers: a topic, or an error. */
interface ApiBody {
  settings?: Record<string, number>;
  partitions?: unknown[];
  error?: { code: string; message: string };
}

async function api(gateway: GatewayProcess, method: string, path: string, body?: unknown) {
  const res = await fetch(`${gateway.adminUrl}/api/v1${path}`, { method, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, retryAfter: res.headers.get('retry-after'), json: (await res.json()) as ApiBody };
}

describe('changes refused over the admin API leave nothing behind', () => {
  it('a topic change refused with 400 (segmentBytes over 2 GiB) is not saved, and the gateway starts again', async () => {
    const { dataDir, config } = setUp();
    const file = config();
    const gateway = await start(dataDir, file);
    expect((await api(gateway, 'POST', '/topics', { name: 'tuned', partitions: 2, retentionMs: 60_000 })).status).toBe(201);

    const refused = await api(gateway, 'PATCH', '/topics/tuned', { segmentBytes: 3 * 1024 ** 3 });
    expect(refused.status).toBe(400);
    expect(refused.json.error).toMatchObject({ code: 'INVALID_TOPIC' });
    expect(refused.json.error?.message).toMatch(/segmentBytes must be an integer from 1024 to 2147483647, got 3221225472/);
    expect((await api(gateway, 'GET', '/topics/tuned')).json.settings).toEqual({ retentionMs: 60_000 });

    const again = await restart(gateway, file);
    expect((await api(again, 'GET', '/topics/tuned')).json.settings).toEqual({ retentionMs: 60_000 });
    expect(await again.stop()).toBe(0);
  });

  it('a topic whose partitions cannot all be opened is removed again, files and metadata, and can be created later', async () => {
    const { dataDir, config } = setUp();
    const file = config();
    const gateway = await start(dataDir, file);
    // A file where the second partition's directory must go: that partition cannot open.
    writeFileSync(join(dataDir, 'topics', 'blocked-1'), 'not a directory');

    const refused = await api(gateway, 'POST', '/topics', { name: 'blocked', partitions: 3 });
    expect(refused.status).toBe(503);
    expect(refused.retryAfter).toBe('1');
    expect(refused.json.error).toMatchObject({ code: 'STORAGE_ERROR' });
    expect(refused.json.error?.message).toMatch(/blocked-1/);
    expect((await api(gateway, 'GET', '/topics/blocked')).status).toBe(404);
    expect(readdirSync(join(dataDir, 'topics')).filter((name) => name.startsWith('blocked-'))).toEqual([]);

    const again = await restart(gateway, file);
    expect((await api(again, 'GET', '/topics/blocked')).status).toBe(404);
    expect((await api(again, 'POST', '/topics', { name: 'blocked', partitions: 3 })).status).toBe(201);
    expect(await again.stop()).toBe(0);
  });
});

describe('damaged metadata', () => {
  it('a cluster.json cut short fails the start naming the file; deleted as advised, the topics come back with their records', async () => {
    const { dataDir, config } = setUp();
    const file = config();
    const gateway = await start(dataDir, file);
    const log = { resourceLogs: [{ resource: {}, scopeLogs: [{ logRecords: [{ body: { stringValue: 'kept-after-metadata-loss' } }] }] }] };
    const sent = await fetch(`${gateway.receiverUrl}/v1/logs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(log) });
    expect(sent.status).toBe(200);
    expect((await api(gateway, 'POST', '/topics', { name: 'made-later', partitions: 2 })).status).toBe(201);
    expect(await gateway.stop()).toBe(0);
    running.splice(running.indexOf(gateway), 1);

    const metadataFile = join(dataDir, 'meta', 'cluster.json');
    writeFileSync(metadataFile, readFileSync(metadataFile, 'utf8').slice(0, 100));
    const refused = await failedStart(dataDir, file);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(metadataFile);
    expect(refused.stderr).toMatch(/or delete it: the next start creates the configured topics again/);

    rmSync(metadataFile);
    const again = await start(dataDir, file);
    const records = await fetch(`${again.adminUrl}/api/v1/topics/otlp_logs/records?partition=0&format=otlp-json`);
    expect(JSON.stringify(await records.json())).toContain('kept-after-metadata-loss');
    expect((await api(again, 'GET', '/topics/made-later')).status).toBe(404);
    expect((await api(again, 'POST', '/topics', { name: 'made-later', partitions: 2 })).status).toBe(201);
    expect(await again.stop()).toBe(0);
  });
});

describe.runIf(canLimit)('partitions are bounded by the files the process may open (ulimit -n 1024: 128 partitions)', () => {
  it('a topic with more partitions than the process can keep open is refused with 400 and not kept; the gateway starts again', async () => {
    const { dataDir, config } = setUp();
    const file = config();
    const gateway = await start(dataDir, file, FILE_LIMIT_1024);

    const refused = await api(gateway, 'POST', '/topics', { name: 'wide', partitions: 5000 });
    expect(refused.status).toBe(400);
    expect(refused.json.error).toMatchObject({ code: 'INVALID_TOPIC' });
    expect(refused.json.error?.message).toMatch(/5000 partitions would make 5004 in the log.*may open 1024 files \(ulimit -n\).*at most 128 partitions/);
    expect((await api(gateway, 'GET', '/topics/wide')).status).toBe(404);
    expect((await api(gateway, 'POST', '/topics', { name: 'fits', partitions: 100 })).status).toBe(201);

    const again = await restart(gateway, file, FILE_LIMIT_1024);
    expect((await api(again, 'GET', '/topics/fits')).json.partitions).toHaveLength(100);
    expect((await api(again, 'GET', '/topics/wide')).status).toBe(404);
    expect(await again.stop()).toBe(0);
  });

  it('a configured topic with more partitions than that fails the start naming its key, and nothing of it is kept', async () => {
    const { dataDir, config } = setUp();
    const refused = await failedStart(dataDir, config({ topics: { wide: { partitions: 5000 } } }), FILE_LIMIT_1024);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/topics\.wide: .*5000 partitions .*ulimit -n/);

    const gateway = await start(dataDir, config(), FILE_LIMIT_1024);
    expect((await api(gateway, 'GET', '/topics/wide')).status).toBe(404);
    expect(await gateway.stop()).toBe(0);
  });
});

describe('config values the storage cannot take are refused before anything is written', () => {
  it('log.segment_bytes over 2 GiB fails the start naming the key', async () => {
    const { dataDir, config } = setUp();
    const refused = await failedStart(dataDir, config({ log: { segment_bytes: '3GiB' } }));
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/log\.segment_bytes: expected at most 2147483647 bytes/);
  });

  it("a topic's segment_bytes over 2 GiB fails the start naming the key, and with the key removed the gateway starts", async () => {
    const { dataDir, config } = setUp();
    const refused = await failedStart(dataDir, config({ topics: { otlp_spans: { partitions: 1, segment_bytes: '3GiB' } } }));
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/topics\.otlp_spans\.segment_bytes: expected at most 2147483647 bytes/);

    const gateway = await start(dataDir, config());
    expect((await api(gateway, 'GET', '/topics/otlp_spans')).json.settings).toEqual({});
    expect(await gateway.stop()).toBe(0);
  });
});

describe('stored metadata that cannot be used', () => {
  it('fails the start naming the file, the key and what to do, and the advice works', async () => {
    const { dataDir, config } = setUp();
    const file = config();
    // As an older version could leave it: a topic change the storage then refused, saved anyway.
    const metadataFile = join(dataDir, 'meta', 'cluster.json');
    mkdirSync(join(dataDir, 'meta'));
    const partition = { partition: 0, leader: 0, replicas: [0], isr: [0], leaderEpoch: 0 };
    const legacy = { replicationFactor: 1, settings: { retentionMs: 60_000, segmentBytes: 3 * 1024 ** 3 }, partitions: [partition] };
    writeFileSync(metadataFile, JSON.stringify({ version: 1, clusterId: 'c1', brokers: [0], topics: { legacy } }));

    const refused = await failedStart(dataDir, file);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(metadataFile);
    expect(refused.stderr).toMatch(/topics\.legacy\.settings\.segmentBytes is out of range .*remove the key so that the topic takes log\.segment_bytes/);

    const metadata = JSON.parse(readFileSync(metadataFile, 'utf8'));
    delete metadata.topics.legacy.settings.segmentBytes;
    writeFileSync(metadataFile, JSON.stringify(metadata));
    const gateway = await start(dataDir, file);
    expect((await api(gateway, 'GET', '/topics/legacy')).json.settings).toEqual({ retentionMs: 60_000 });
    expect(await gateway.stop()).toBe(0);
  });
});
