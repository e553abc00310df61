
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Gateway } from '../../src/gateway.js';
import { makeSpans } from '../otlp/fixtures.js';
import { canMountSmallDisk, mountSmallDisk, type SmallDisk } from '../small-disk.js';
import { type ConfiguredGateway, eventually, pipelineMetric, sendSpans, startFromConfigFile } from './helpers.js';

/** A gateway from a config file, as `tributary start --config` builds it, with one file pipeline. */
function startFileGateway(dir: string, sinkPath: string): Promise<ConfiguredGateway> {
  return startFromConfigFile(
    dir,
    join(dir, 'data'),
    `topics: { otlp_spans: { partitions: 1 } }
groups: { session_timeout: 3s, heartbeat_interval: 100ms, rebalance_timeout: 2s }
pipelines:
  - group: files
    topics: [otlp_spans]
    sink: { type: file, path: ${sinkPath} }
    retry: { initial_interval: 20ms, max_interval: 200ms }   # max_elapsed_time stays 5m
`,
  );
}

/**
 * The span ids in an OTLP/JSON lines file, or undefined while it is missing or any line (the last
 * one included) is not a complete JSON line: a reader may catch an append midway.
 */
function spanIdsIn(file: string): string[] | undefined {
  if (!existsSync(file)) return undefined;
  const lines = readFileSync(file, 'utf8').split('\n');
  if (lines.pop() !== '') return undefined;
  try {
    return lines.flatMap((line) => {
      const json = JSON.parse(line) as { resourceSpans: { scopeSpans: { spans: { spanId: string }[] }[] }[] };
      return json.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans.map((x) => x.spanId)));
    });
  } catch {
    return undefined;
  }
}

/** What the admin API shows once the pipeline delivered everything: no dead letters, no rejection. */
async function expectNothingDeadLettered(admin: string): Promise<void> {
  const { topics } = (await (await fetch(`${admin}/api/v1/topics`)).json()) as { topics: { name: string }[] };
  expect(topics.map((t) => t.name)).not.toContain('files.dlq');
  expect(await pipelineMetric(admin, 'files', 'tributary_sink_records_total', ',outcome="dead_lettered"')).toBe(0);
  expect(await pipelineMetric(admin, 'files', 'tributary_sink_failures_total', ',kind="permanent"')).toBe(0);
}


describe('file sink while its file cannot be written', () => {
  const dirs: string[] = [];
  const mounts: SmallDisk[] = [];
  let running: Gateway | undefined;
  const tempDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'tributary-file-retry-'));
    dirs.push(dir);
    return dir;
  };
  afterEach(async () => {
    await running?.shutdown();
    running = undefined;
    for (const m of mounts.splice(0)) m.unmount();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('retries while a regular file stands where its directory should be, and delivers every span once it is gone; nothing is dead-lettered', async () => {
    const dir = tempDir();
    // The sink's directory is a regular file: creating the directory fails (EEXIST), opening the file too (ENOTDIR).
    const blocker = join(dir, 'exports');
    writeFileSync(blocker, 'not a directory');
    const { gateway, admin, receiver } = await startFileGateway(dir, join(blocker, 'spans.jsonl'));
    running = gateway;

    const spans = makeSpans({ service: 'cart', traces: 10, spansPerTrace: 3 });
    await sendSpans(receiver, spans);
    await eventually('three retries', async () => (await pipelineMetric(admin, 'files', 'tributary_sink_retries_total')) >= 3);
    expect(await pipelineMetric(admin, 'files', 'tributary_sink_failures_total', ',kind="retriable"')).toBeGreaterThanOrEqual(3);

    unlinkSync(blocker);
    const file = join(blocker, 'spans.jsonl');
    const ids = await eventually('every span in the file', () => {
      const found = spanIdsIn(file);
      return found && found.length >= spans.length && found;
    });
    expect(ids.sort()).toEqual(spans.map((s) => s.spanContext().spanId).sort());
    await eventually('records counted as exported', async () => (await pipelineMetric(admin, 'files', 'tributary_sink_records_total', ',outcome="exported"')) === 10);
    await expectNothingDeadLettered(admin);
  });

  it('retries a full disk (ENOSPC) without leaving part of a batch in the file, and delivers once space is freed', async (ctx) => {
    const dir = tempDir();
    if (!canMountSmallDisk()) return ctx.skip('mounting a tmpfs is not permitted here');
    const smallDisk = mountSmallDisk('64k');
    mounts.push(smallDisk);
    const disk = smallDisk.path;
    // Fill the disk, then free one page: a batch starts to fit, and its write runs out of space midway.
    const filler = join(disk, 'filler');
    try {
      for (;;) appendFileSync(filler, Buffer.alloc(1024, 0x61));
    } catch (err) {
      expect((err as NodeJS.ErrnoException).code).toBe('ENOSPC');
    }
    truncateSync(filler, readFileSync(filler).length - 4096);
    const { gateway, admin, receiver } = await startFileGateway(dir, join(disk, 'spans.jsonl'));
    running = gateway;

    const spans = makeSpans({ service: 'cart', traces: 20, spansPerTrace: 5 });
    await sendSpans(receiver, spans);
    await eventually('three retries', async () => (await pipelineMetric(admin, 'files', 'tributary_sink_retries_total')) >= 3);

    unlinkSync(filler);
    const file = join(disk, 'spans.jsonl');
    await eventually('every record exported', async () => (await pipelineMetric(admin, 'files', 'tributary_sink_records_total', ',outcome="exported"')) === 20);
    // Every line parses and each span is there once: the failed appends were cut back, not left half-written.
    expect(spanIdsIn(file)?.sort()).toEqual(spans.map((s) => s.spanContext().spanId).sort());
    await expectNothingDeadLettered(admin);
  });
});
