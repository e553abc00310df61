import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync, } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeSpans } from '../otlp/fixtures.js';
import { capability } from '../capability.js';
import { canMountSmallDisk, fillDisk, mountSmallDisk } from '../small-disk.js';
import { eventually, type GatewayProcess, startGatewayProcess } from './cli-process.js';
import { exportSpans, storedKeys, traceIdsOf } from './spans.js';

/**
 * No pipelines, one partition per signal, segments of 1 KiB (every span request rolls one), and
 * one ingest worker: once a request has been answered, no thread is left to start.
 */
const CONFIG = `
receiver: { endpoint: "\${env:TRIBUTARY_RECEIVER_ENDPOINT}", workers: 1 }
admin: { endpoint: "\${env:TRIBUTARY_ADMIN_ENDPOINT}" }
kafka: { listener: "" }
log: { data_dir: "\${env:TRIBUTARY_DATA_DIR}", brokers: 1, fsync: interval, segment_bytes: 1024 }
topics:
  otlp_spans: { partitions: 1 }
  otlp_metrics: { partitions: 1 }
  otlp_logs: { partitions: 1 }
  otlp_events: { partitions: 1 }
`;

const canMount = canMountSmallDisk();
const canLimit = process.platform === 'linux' && capability("changing a process's open-file limit", ['prlimit', '--pid', String(process.pid), '--nofile']);

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

/** The gateway on `dataDir` (a fresh directory when none is given), with CONFIG. */
async function startGateway(dataDir?: string): Promise<GatewayProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-exhausted-'));
  const config = join(dir, 'tributary.yaml');
  writeFileSync(config, CONFIG);
  const gateway = await startGatewayProcess({ config, dataDir: dataDir ?? join(dir, 'data') });
  cleanups.unshift(() => {
    try {
      process.kill(gateway.pid, 'SIGKILL');
    } catch {}
    rmSync(dir, { recursive: true, force: true });
  });
  return gateway;
}

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** POSTs over one kept-alive connection: a request needs no new descriptor in the gateway. */
function post(agent: Agent, url: string, body: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => {
        text += c.toString();
      });
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** An OTLP/JSON request of one span with a 2 KB name (a record bigger than a 1 KiB segment), and its trace id. */
function spanRequest(): { body: string; traceId: string } {
  const traceId = randomBytes(16).toString('hex');
  const now = BigInt(Date.now()) * 1_000_000n;
  const span = { traceId, spanId: randomBytes(8).toString('hex'), name: 'x'.repeat(2000), kind: 1, startTimeUnixNano: String(now), endTimeUnixNano: String(now + 1000n) };
  const resource = { attributes: [{ key: 'service.name', value: { stringValue: 'exhausted' } }] };
  return { body: JSON.stringify({ resourceSpans: [{ resource, scopeSpans: [{ scope: { name: 'test' }, spans: [span] }] }] }), traceId };
}

function openDescriptors(pid: number): number[] {
  return readdirSync(`/proc/${pid}/fd`).map(Number).sort((a, b) => a - b);
}

const sameList = (a: number[], b: number[]) => a.length === b.length && a.every((x, i) => x === b[i]);

function setOpenFileLimit(pid: number, soft: number | string): void {
  execFileSync('prlimit', ['--pid', String(pid), `--nofile=${soft}:`]);
}

describe.runIf(canLimit)('a gateway with no file descriptors left', () => {
  it('answers 503 with Retry-After, leaks nothing, and takes data again once descriptors are free, without a restart', async () => {
    const gateway = await startGateway();
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    cleanups.push(() => agent.destroy());
    const url = `${gateway.receiverUrl}/v1/traces`;
    const acked: string[] = [];
    for (let i = 0; i < 2; i++) {
      const { body, traceId } = spanRequest();
      expect((await post(agent, url, body)).status).toBe(200);
      acked.push(traceId);
    }

    // One descriptor left below the limit: a segment roll gets its log file, not its index.
    const before = openDescriptors(gateway.pid);
    const soft = /^Max open files\s+(\d+)/m.exec(readFileSync(`/proc/${gateway.pid}/limits`, 'utf8'))![1];
    const free = (n: number) => {
      const used = new Set(before);
      const out: number[] = [];
      for (let fd = 0; out.length < n; fd++) if (!used.has(fd)) out.push(fd);
      return out;
    };
    setOpenFileLimit(gateway.pid, free(2)[1]);
    try {
      for (let attempt = 0; attempt < 2; attempt++) {
        const reply = await post(agent, url, spanRequest().body);
        expect(reply.status).toBe(503);
        expect(reply.headers['retry-after']).toBe('1');
        expect(JSON.parse(reply.body).message).toMatch(/EMFILE.*no file descriptors left/);
        // Another part of the process may hold a descriptor for a moment; a leaked one stays.
        await eventually('the descriptors open before the failed roll, and no others', async () => sameList(openDescriptors(gateway.pid), before), 5_000);
      }
    } finally {
      setOpenFileLimit(gateway.pid, soft);
    }

    const { body, traceId } = spanRequest();
    expect((await post(agent, url, body)).status).toBe(200);
    acked.push(traceId);
    const stored = await storedKeys(gateway.adminUrl);
    expect(stored).toEqual(acked.sort());
    expect(await gateway.stop()).toBe(0);
  });
});

describe.runIf(canMount)('a gateway whose disk is full (a 4 MiB tmpfs)', () => {
  it('answers 503 with Retry-After, starts again while full, and what an OpenTelemetry exporter retries lands once there is room', async () => {
    const dataDir = smallDisk();
    let gateway = await startGateway(dataDir);
    const filler = join(dataDir, 'filler');
    const before = makeSpans({ traces: 10, spansPerTrace: 3 });
    expect((await exportSpans(gateway.receiverUrl, before)).code).toBe(0);

    fillDisk(filler, 64 * 1024);
    const refused = await post(new Agent(), `${gateway.receiverUrl}/v1/traces`, spanRequest().body);
    expect(refused.status).toBe(503);
    expect(refused.headers['retry-after']).toBe('1');
    expect(JSON.parse(refused.body).message).toMatch(/ENOSPC.*the disk is full/);
    // An admin change is refused alike, and leaves nothing half done.
    const created = await fetch(`${gateway.adminUrl}/api/v1/topics`, { method: 'POST', body: JSON.stringify({ name: 'late', partitions: 1 }) });
    expect(created.status).toBe(503);
    expect(created.headers.get('retry-after')).toBe('1');

    // Stopped and started again while the disk is still full: it opens, and serves what it holds.
    await gateway.stop();
    gateway = await startGateway(dataDir);
    expect(new Set(await storedKeys(gateway.adminUrl))).toEqual(new Set(traceIdsOf(before)));

    const during = makeSpans({ traces: 10, spansPerTrace: 3 });
    const exporting = exportSpans(gateway.receiverUrl, during, 30_000);
    await new Promise((r) => setTimeout(r, 1500));
    rmSync(filler);
    expect((await exporting).code).toBe(0);

    expect((await fetch(`${gateway.adminUrl}/api/v1/topics/late`)).status).toBe(404);
    expect((await fetch(`${gateway.adminUrl}/api/v1/topics`, { method: 'POST', body: JSON.stringify({ name: 'late', partitions: 1 }) })).status).toBe(201);
    const stored = new Set(await storedKeys(gateway.adminUrl));
    for (const traceId of [...traceIdsOf(before), ...traceIdsOf(during)]) expect(stored).toContain(traceId);
    expect(await gateway.stop()).toBe(0);
  });

  it('a topic created when the disk has room for only part of cluster.json is refused, and the old file stays whole', async () => {
    const dataDir = smallDisk();
    let gateway = await startGateway(dataDir);
    const api = (path: string, init?: RequestInit) => fetch(`${gateway.adminUrl}/api/v1${path}`, init);
    expect((await api('/topics', { method: 'POST', body: JSON.stringify({ name: 'wide', partitions: 100 }) })).status).toBe(201);
    const metadata = join(dataDir, 'meta', 'cluster.json');
    expect(statSync(metadata).size).toBeGreaterThan(12 * 1024);

    // Two pages free: a new cluster.json would be written in part.
    const filler = join(dataDir, 'filler');
    fillDisk(filler, 64 * 1024);
    truncateSync(filler, statSync(filler).size - 8192);
    const refused = await api('/topics', { method: 'POST', body: JSON.stringify({ name: 'more', partitions: 1 }) });
    expect(refused.status).toBe(503);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toMatch(/saving the cluster metadata .*ENOSPC/);
    expect(readdirSync(join(dataDir, 'meta'))).not.toContain('cluster.json.tmp');

    await gateway.stop();
    gateway = await startGateway(dataDir);
    expect(((await (await api('/topics/wide')).json()) as { partitions: unknown[] }).partitions).toHaveLength(100);
    expect((await api('/topics/more')).status).toBe(404);
    expect(await gateway.stop()).toBe(0);
  });
});

/** A data directory on a 4 MiB tmpfs, unmounted after the test. */
function smallDisk(): string {
  const disk = mountSmallDisk('4m');
  cleanups.push(() => disk.unmount());
  return disk.path;
}
