import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { clientAvailable, run } from '../kafka/helpers.js';
import { type GatewayProcess, startGatewayProcess } from './cli-process.js';

/**
 * An upgrade in place: this version started on a data directory an earlier one wrote. The fixture
 * (fixtures/data-dir-2026-12-05) was written by the build of commit bc1fec7 and stopped cleanly:
 * one partition per topic; OTLP from `tributary send --requests 2`; topic `app` (retention_ms 1d)
 * with 5 records from an idempotent librdkafka producer ("v1 record 0".."v1 record 4"), read and
 * committed by the Kafka consumer group `kafka-readers`; subscriptions made with the CLI:
 * `team-logs` (running, all 3 logs delivered and committed) and `paused-events` (paused before it
 * delivered the one event). Its file sinks wrote under SINK, replaced here by a directory of the test.
 */
const FIXTURE = join(import.meta.dirname, 'fixtures', 'data-dir-2026-12-05');
const SINK = '/tmp/tributary-upgrade-fixture-sink';
const hasKcat = clientAvailable('kcat', ['-V'], 'kcat');

let workDir: string | undefined;
let gateway: GatewayProcess | undefined;
afterEach(async () => {
  await gateway?.kill();
  gateway = undefined;
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

async function api<T>(path: string, init?: RequestInit): Promise<T> {
  const res = await fetch(`${gateway!.adminUrl}/api/v1${path}`, init);
  expect(res.status, `${path}: ${await res.clone().text()}`).toBeLessThan(300);
  return (await res.json()) as T;
}

function lines(path: string): number {
  return existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter(Boolean).length : 0;
}

describe('upgrading in place', () => {
  it('a data directory the 2026-12-05 version wrote starts with its records, committed offsets, subscriptions and producer ids', async () => {
    workDir = mkdtempSync(join(tmpdir(), 'tributary-upgrade-'));
    const dataDir = join(workDir, 'data');
    const sinkDir = join(workDir, 'sink');
    mkdirSync(sinkDir);
    cpSync(FIXTURE, dataDir, { recursive: true });
    const pipelinesFile = join(dataDir, 'meta', 'pipelines.json');
    writeFileSync(pipelinesFile, readFileSync(pipelinesFile, 'utf8').replaceAll(SINK, sinkDir), { mode: 0o600 });
    const config = join(workDir, 'tributary.yaml');
    writeFileSync(
      config,
      stringify({
        receiver: { endpoint: '${env:TRIBUTARY_RECEIVER_ENDPOINT}', workers: 1 },
        admin: { endpoint: '${env:TRIBUTARY_ADMIN_ENDPOINT}' },
        kafka: { listener: '${env:TRIBUTARY_KAFKA_LISTENER}' },
        log: { data_dir: '${env:TRIBUTARY_DATA_DIR}', brokers: 1 },
        topics: { otlp_spans: { partitions: 1 }, otlp_metrics: { partitions: 1 }, otlp_logs: { partitions: 1 }, otlp_events: { partitions: 1 } },
      }),
    );
    gateway = await startGatewayProcess({ dataDir, config });
    expect(gateway.output()).not.toMatch(/ WARN | ERROR /);

    // Every record the earlier version acknowledged, at its offsets; the topic's own setting kept.
    type Topic = { name: string; settings: Record<string, number>; partitions: { logStartOffset: number; highWatermark: number }[] };
    const { topics } = await api<{ topics: Topic[] }>('/topics');
    const ends = Object.fromEntries(topics.map((t) => [t.name, [t.partitions[0].logStartOffset, t.partitions[0].highWatermark]]));
    expect(ends).toEqual({ app: [0, 5], otlp_events: [0, 1], otlp_logs: [0, 3], otlp_metrics: [0, 6], otlp_spans: [0, 6] });
    expect(topics.find((t) => t.name === 'app')?.settings).toEqual({ retentionMs: 86_400_000 });
    const { records } = await api<{ records: { offset: number; value: string }[] }>('/topics/app/records?partition=0&offset=0');
    expect(records.map((r) => [r.offset, Buffer.from(r.value, 'base64').toString()])).toEqual([0, 1, 2, 3, 4].map((i) => [i, `v1 record ${i}`]));

    // Committed offsets, of the Kafka client's group and of the subscriptions.
    type Group = { partitions: { topic: string; committedOffset: number | null }[] };
    const committed = async (group: string) => (await api<Group>(`/groups/${group}`)).partitions.map((p) => [p.topic, p.committedOffset]);
    expect(await committed('kafka-readers')).toEqual([['app', 5]]);
    expect(await committed('team-logs')).toEqual([['otlp_logs', 3]]);
    expect(await committed('paused-events')).toEqual([['otlp_events', 0]]);

    // The subscriptions come back as they were, and go on from where they stopped.
    const { pipelines } = await api<{ pipelines: { group: string; state: string }[] }>('/pipelines');
    expect(pipelines.map((p) => [p.group, p.state]).sort()).toEqual([
      ['paused-events', 'paused'],
      ['team-logs', 'running'],
    ]);
    await api('/pipelines/paused-events/resume', { method: 'POST' });
    await expect.poll(() => committed('paused-events'), { timeout: 20_000 }).toEqual([['otlp_events', 1]]);
    expect(lines(join(sinkDir, 'paused-events.jsonl'))).toBe(1);
    expect(lines(join(sinkDir, 'team-logs.jsonl'))).toBe(0);

    // The block of producer ids the earlier version took (up to 1000) is not handed out again.
    if (hasKcat) {
      const produced = await run('kcat', ['-b', gateway.kafkaListener, '-P', '-t', 'app', '-X', 'enable.idempotence=true'], { input: 'v2 record\n' });
      expect(produced.code, produced.stderr).toBe(0);
      const ids = JSON.parse(readFileSync(join(dataDir, 'meta', 'kafka-producer-ids.json'), 'utf8'));
      expect(ids.nextBlockStart).toBeGreaterThan(1000);
    }

    expect(await gateway.stop()).toBe(0);
    gateway = undefined;
  });
});
