import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeSpans } from '../otlp/fixtures.js';
import { type ConfiguredGateway, eventually, pipelineMetric, sendSpans, spanIdsOf, startFromConfigFile, startReceiver, type TestReceiver } from '../sinks/helpers.js';
import { canMountSmallDisk, fillDisk, mountSmallDisk } from '../small-disk.js';

/**
 * Pipelines whose gateway's data directory fills up: their offset commits and dead letters are
 * written there. The gateway is built by the real factory from a config file, on port 0.
 */
const canMount = canMountSmallDisk();

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

/** A gateway on `dataDir` with one otlphttp pipeline (`out`) to `backend`, retrying and batching as given. */
async function startGateway(dataDir: string, backend: string, retry = '{ initial_interval: 20ms, max_interval: 200ms }', batch = '{}'): Promise<ConfiguredGateway> {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-pipelines-full-'));
  const running = await startFromConfigFile(
    dir,
    dataDir,
    `topics: { otlp_spans: { partitions: 1 }, otlp_metrics: { partitions: 1 }, otlp_logs: { partitions: 1 }, otlp_events: { partitions: 1 } }
groups: { session_timeout: 3s, heartbeat_interval: 100ms, rebalance_timeout: 2s }
pipelines:
  - group: out
    topics: [otlp_spans]
    sink: { type: otlphttp, endpoint: ${backend} }
    retry: ${retry}
    batch: ${batch}
`,
  );
  cleanups.unshift(async () => {
    await running.gateway.shutdown();
    rmSync(dir, { recursive: true, force: true });
  });
  return running;
}

async function backend(): Promise<TestReceiver> {
  const r = await startReceiver();
  cleanups.push(() => r.close());
  return r;
}

function smallDisk(): string {
  const disk = mountSmallDisk('4m');
  cleanups.push(() => disk.unmount());
  return disk.path;
}

/** The size of a page of the small disk (tmpfs): a file takes a new one past each multiple of it. */
const PAGE = 4096;

/**
 * Delivers one span at a time until the offsets journal's last page cannot take another commit
 * line: the next commit then needs a page of the disk. The pipeline committed its start when it
 * got its partition, so the journal has a page from the start. Answers the offset committed last.
 */
async function fillJournalPage(gateway: ConfiguredGateway, dataDir: string, out: TestReceiver): Promise<number> {
  const journal = join(dataDir, 'groups', 'offsets.journal');
  let offset = (await eventually('the start committed', async () => {
    const at = await committed(gateway.admin, 'out');
    return at !== null && { at };
  })).at;
  for (let line = 0; (PAGE - (statSync(journal).size % PAGE)) % PAGE >= line; ) {
    const size = statSync(journal).size;
    await sendSpans(gateway.receiver, makeSpans({ service: 'padding', traces: 1, spansPerTrace: 1 }));
    offset++;
    await eventually('the padding committed', async () => (await committed(gateway.admin, 'out')) === offset);
    // Later lines are no shorter: their offsets only grow.
    line = statSync(journal).size - size;
  }
  out.requests.length = 0;
  return offset;
}

/** The group's committed offset of otlp_spans' one partition, as the admin API shows it (null: none). */
async function committed(admin: string, group: string): Promise<number | null> {
  const described = (await (await fetch(`${admin}/api/v1/groups/${group}`)).json()) as { partitions: { committedOffset: number | null }[] };
  return described.partitions[0].committedOffset;
}

const delivered = (r: TestReceiver) => new Set(r.requests.filter((q) => q.path === '/v1/traces').flatMap((q) => spanIdsOf(q.body)));

describe.runIf(canMount)('pipelines on a full disk (a 4 MiB tmpfs)', () => {
  it('a pipeline whose offset commits hit ENOSPC keeps delivering, and commits once there is room; the gateway stays up', async () => {
    const dataDir = smallDisk();
    const out = await backend();
    let refuse = true;
    out.respond = () => ({ status: refuse ? 503 : 200 });
    const gateway = await startGateway(dataDir, out.url);
    const { admin, receiver } = gateway;
    refuse = false;
    const start = await fillJournalPage(gateway, dataDir, out);
    refuse = true;

    // Acknowledged while the backend refuses: in the log, not delivered, not committed.
    const spans = makeSpans({ service: 'full', traces: 10, spansPerTrace: 3 });
    await sendSpans(receiver, spans);
    await eventually('a retry', async () => (await pipelineMetric(admin, 'out', 'tributary_sink_retries_total')) >= 1);

    // The offset journal's last page is full: the next commit needs one the disk does not have.
    const filler = join(dataDir, 'filler');
    fillDisk(filler, 4096);
    refuse = false;
    await eventually('every span delivered', () => delivered(out).size === spans.length);
    // Its commit cannot be written meanwhile.
    await new Promise((r) => setTimeout(r, 1_000));
    expect(await committed(admin, 'out')).toBe(start);

    rmSync(filler);
    await eventually('the commit once there is room', async () => (await committed(admin, 'out')) === start + 10, 15_000);
    expect([...delivered(out)].sort()).toEqual(spans.map((s) => s.spanContext().spanId).sort());
  });

  it('a batch to dead-letter while the disk is full waits, and lands in the dead-letter topic once there is room; nothing is lost', async () => {
    const dataDir = smallDisk();
    const out = await backend();
    let answer!: () => void;
    const refused = new Promise<void>((resolve) => (answer = resolve));
    // The backend refuses the batch for good (400), but only once the disk is full.
    out.respond = async () => {
      await refused;
      return { status: 400, body: 'refused' };
    };
    const { admin, receiver } = await startGateway(dataDir, out.url);
    const spans = makeSpans({ service: 'full', traces: 10, spansPerTrace: 3 });
    await sendSpans(receiver, spans);

    const filler = join(dataDir, 'filler');
    fillDisk(filler, 4096);
    answer();
    await eventually('the refusal', async () => (await pipelineMetric(admin, 'out', 'tributary_sink_failures_total', ',kind="permanent"')) >= 1);
    // The dead-letter topic cannot be created meanwhile (nothing of it is kept), and nothing is committed past the batch.
    await new Promise((r) => setTimeout(r, 1_000));
    expect(await pipelineMetric(admin, 'out', 'tributary_sink_records_total', ',outcome="dead_lettered"')).toBe(0);
    expect((await fetch(`${admin}/api/v1/topics/out.dlq`)).status).toBe(404);
    // Where the pipeline started, committed when it got its partition.
    expect(await committed(admin, 'out')).toBe(0);

    rmSync(filler);
    await eventually('the batch dead-lettered', async () => (await pipelineMetric(admin, 'out', 'tributary_sink_records_total', ',outcome="dead_lettered"')) === 10, 15_000);
    const { records } = (await (await fetch(`${admin}/api/v1/topics/out.dlq/records?partition=0&offset=0&limit=100`)).json()) as { records: unknown[] };
    expect(records).toHaveLength(10);
    await eventually('the commit', async () => (await committed(admin, 'out')) === 10, 15_000);
  });

  it('a commit waiting to be retried on a full disk does not hold up a shutdown', async () => {
    const dataDir = smallDisk();
    const out = await backend();
    let refuse = true;
    out.respond = () => ({ status: refuse ? 503 : 200 });
    // A record a batch, and a commit's retry waits 10 to 30 s: the second batch waits for the first one's commit.
    const { receiver } = await startGateway(dataDir, out.url, '{ initial_interval: 20s, max_interval: 30s }', '{ max_records: 1 }');
    await sendSpans(receiver, makeSpans({ service: 'full', traces: 2, spansPerTrace: 1 }));
    fillDisk(join(dataDir, 'filler'), 4096);
    refuse = false;
    await eventually('the spans delivered', () => delivered(out).size === 2, 60_000);
    await new Promise((r) => setTimeout(r, 500));

    const started = Date.now();
    await cleanups.shift()!();
    expect(Date.now() - started).toBeLessThan(5_000);
  }, 90_000);
});
