import { AggregatorRegistry } from 'prom-client';
import { describe, expect, it, vi } from 'vitest';
import type { MetricsSnapshot } from '../../src/telemetry/telemetry.js';
import { threadCpuMs, threadIds } from '../../bench/lib/thread-cpu.js';
import { useDataDirs } from '../log/helpers.js';
import { caughtUp, eventually, holdExports, produceMetrics, produceTraces, spanIdsOf, usePipelineRun } from './helpers.js';

describe('sink worker threads', () => {
  const dataDir = useDataDirs();
  const run = usePipelineRun(dataDir);
  const { receiver, committed } = run;

  it('restarts a killed sink worker, which delivers again what it had not committed', async () => {
    const log = await run.startLog(1);
    const spans = await produceTraces(log.log, { service: 'cart', traces: 12, spansPerTrace: 1 });
    const sink = await receiver();
    // The first thread dies with its export in flight, never answered.
    const held = holdExports(sink);
    const pipelines = run.pipelinesOver(log, [{ group: 'phoenix', topics: ['otlp_spans'], sink: { type: 'otlphttp', endpoint: sink.url }, batch: { max_records: 4, max_wait: 0 } }]);
    await pipelines.start();
    await eventually('an export in flight', () => held.requests() > 0);
    expect(await committed('phoenix')).toBe(0);

    held.release();
    await pipelines.killWorker(0);
    await eventually('every span delivered', () => held.seen.size === spans.length);
    expect([...held.seen].sort()).toEqual(spans.map((s) => s.spanContext().spanId).sort());
    await eventually('lag 0', () => caughtUp(log, 'phoenix', ['otlp_spans']));
    const { members } = await log.log.describeGroup('phoenix');
    expect(members).toHaveLength(1);
    expect(await log.telemetry.metricsText()).toMatch(/tributary_sink_worker_restarts_total\{worker="0"\} 1\b/);
  });

  it("drops a forgotten pipeline's series from the scrape, those a killed thread counted too, and keeps a removed one's until then", async () => {
    const log = await run.startLog(1);
    const sink = await receiver();
    await produceTraces(log.log, { service: 'cart', traces: 4, spansPerTrace: 1 });
    const otlp = { type: 'otlphttp', endpoint: sink.url };
    const pipelines = run.pipelinesOver(log, [{ group: 'stays', topics: ['otlp_spans'], sink: otlp }, { group: 'goes', topics: ['otlp_spans'], sink: otlp }], { workers: 1 });
    await pipelines.start();
    await eventually('both caught up', async () => (await caughtUp(log, 'stays', ['otlp_spans'])) && caughtUp(log, 'goes', ['otlp_spans']));
    const exported = async () => Number(/tributary_sink_records_total\{pipeline="goes",outcome="exported"\} (\d+)/.exec(await log.telemetry.metricsText())?.[1] ?? 0);
    // Scraped, then killed: its first thread's counts live on in what the handle kept of it.
    await eventually('the first thread counted', async () => (await exported()) === 4);
    await pipelines.killWorker(0);
    await produceTraces(log.log, { service: 'cart', traces: 4, spansPerTrace: 1 });
    await eventually('both caught up after the restart', async () => (await caughtUp(log, 'stays', ['otlp_spans'])) && caughtUp(log, 'goes', ['otlp_spans']));
    const series = async (pipeline: string) => (await log.telemetry.metricsText()).split('\n').filter((line) => line.includes(`pipeline="${pipeline}"`));
    await eventually('the restarted thread counted on', async () => (await exported()) === 8);

    // Removed (as a pause does), it keeps its counts: they go on when it runs again.
    await pipelines.remove('goes');
    expect(await series('goes')).not.toEqual([]);
    await pipelines.forget('goes');
    expect(await series('goes')).toEqual([]);
    expect(await series('stays')).not.toEqual([]);
    await expect(pipelines.forget('stays')).rejects.toThrow(/runs/);
  });

  it("merges only the sink workers' metrics into a scrape, and writes the many lag series of its own as they are", async () => {
    // Every group gets its series (the default gives them to the first 100).
    const log = await run.startLog(2, { metrics_max_groups: 1_000 });
    const sink = await receiver();
    await produceTraces(log.log, { service: 'cart', traces: 4, spansPerTrace: 1 });
    for (let g = 0; g < 200; g++) await log.log.resetOffsets(`idle-${g}`, { type: 'earliest' }, ['otlp_spans']);
    const pipelines = run.pipelinesOver(log, [{ group: 'counted', topics: ['otlp_spans'], sink: { type: 'otlphttp', endpoint: sink.url } }]);
    await pipelines.start();
    await eventually('the worker counted', async () => /tributary_sink_records_total\{pipeline="counted",outcome="exported"\} 4\b/.test(await log.telemetry.metricsText()));

    const aggregate = vi.spyOn(AggregatorRegistry, 'aggregate');
    try {
      const text = await log.telemetry.metricsText();
      const merged = aggregate.mock.calls.flatMap(([snapshots]) => (snapshots as MetricsSnapshot[]).flat());
      expect(merged.map((m) => m.name)).not.toContain('tributary_group_lag_records');
      expect(merged.reduce((n, m) => n + m.values.length, 0)).toBeLessThan(200);
      // Every series is in the text once, under one HELP and TYPE per metric.
      const lines = text.split('\n');
      expect(lines.filter((l) => l.startsWith('tributary_group_lag_records{group="idle-'))).toHaveLength(200 * 2);
      expect(lines.filter((l) => l.startsWith('tributary_sink_records_total{pipeline="counted",outcome="exported"} 4'))).toHaveLength(1);
      const types = lines.filter((l) => l.startsWith('# TYPE ')).map((l) => l.split(' ')[2]);
      expect(types.length).toBe(new Set(types).size);
      expect(types).toEqual(expect.arrayContaining(['tributary_group_lag_records', 'tributary_sink_records_total', 'tributary_log_partition_size_bytes']));
    } finally {
      aggregate.mockRestore();
    }
  });

  it('takes a killed sink worker\'s members out of their groups at once: its partitions are read again without waiting out a session', async () => {
    // Sessions and rebalances far longer than the wait below: only an immediate leave gets the partitions moving.
    const log = await run.startLog(2, { session_timeout: 60_000, heartbeat_interval: 1_000, rebalance_timeout: 60_000 });
    const spans = await produceTraces(log.log, { service: 'cart', traces: 8, spansPerTrace: 1 });
    const sink = await receiver();
    const held = holdExports(sink);
    const pipelines = run.pipelinesOver(log, [{ group: 'lazarus', topics: ['otlp_spans'], sink: { type: 'otlphttp', endpoint: sink.url }, batch: { max_records: 4, max_wait: 0 } }]);
    await pipelines.start();
    await eventually('an export in flight', () => held.requests() > 0);

    held.release();
    await pipelines.killWorker(0);
    await eventually('every span delivered', () => held.seen.size === spans.length, 10_000);
    await eventually('lag 0', () => caughtUp(log, 'lazarus', ['otlp_spans']), 10_000);
    expect((await log.log.describeGroup('lazarus')).members).toHaveLength(1);
  });

  it('reads from a restarted broker through the new port it gets, and delivers on', async () => {
    const log = await run.startLog(2);
    const sink = await receiver();
    const pipelines = run.pipelinesOver(log, [{ group: 'steady', topics: ['otlp_spans'], sink: { type: 'otlphttp', endpoint: sink.url } }]);
    await pipelines.start();
    await produceTraces(log.log, { service: 'cart', traces: 5, spansPerTrace: 1 });
    await eventually('caught up', () => caughtUp(log, 'steady', ['otlp_spans']));

    await log.log.killBroker(0);
    await log.log.brokersReady();
    await produceTraces(log.log, { service: 'cart', traces: 5, spansPerTrace: 1, partition: 1 });
    await produceTraces(log.log, { service: 'cart', traces: 5, spansPerTrace: 1, partition: 0 });
    await eventually('caught up after the restart', () => caughtUp(log, 'steady', ['otlp_spans']));
    expect(await committed('steady')).toBe(15);
    expect(sink.requests.flatMap((r) => spanIdsOf(r.body))).toHaveLength(15);
  });

  it('spreads the members of a pipeline over the workers, each reading its own partitions', async () => {
    const log = await run.startLog(4);
    const sink = await receiver();
    for (let p = 0; p < 4; p++) await produceTraces(log.log, { service: 'cart', traces: 5, spansPerTrace: 1, partition: p });
    const pipelines = run.pipelinesOver(log, [{ group: 'wide', topics: ['otlp_spans'], members: 2, sink: { type: 'otlphttp', endpoint: sink.url } }], { workers: 2 });
    await pipelines.start();
    expect(pipelines.workers).toBe(2);
    await eventually('lag 0', () => caughtUp(log, 'wide', ['otlp_spans']));
    expect(await committed('wide')).toBe(20);
    expect(new Set(sink.requests.flatMap((r) => spanIdsOf(r.body))).size).toBe(20);
  });

  it('a CPU-heavy sink works on its sink worker: the main thread, where ingest runs, stays nearly idle', async (context) => {
    if (threadCpuMs().size === 0) {
      if (process.env.CI === 'true') throw new Error('per-thread CPU times (/proc/self/task) are required under CI');
      console.warn('skipping: no per-thread CPU times on this platform (/proc/self/task)');
      context.skip();
    }
    // A session that outlasts a long conversion on a loaded machine.
    const log = await run.startLog(2, { session_timeout: 20_000, heartbeat_interval: 1_000 });
    const remoteWrite = await receiver();
    // A backlog of 18,000 data points for the Prometheus conversion.
    for (let i = 0; i < 20; i++) await produceMetrics(log.log, { service: `svc-${i}`, series: 300, partition: i % 2 });
    const pipelines = run.pipelinesOver(log, [
      { group: 'dashboards', topics: ['otlp_metrics'], sink: { type: 'prometheusremotewrite', endpoint: `${remoteWrite.url}/api/v1/write` } },
    ]);
    const before = threadIds();
    await pipelines.start();
    const sinkThreads = [...threadIds()].filter((tid) => !before.has(tid));
    const start = threadCpuMs();
    // Checked every 200 ms only: the checks run on the main thread too.
    const pause = () => new Promise<false>((resolve) => setTimeout(() => resolve(false), 200));
    await eventually('backlog drained', async () => (await caughtUp(log, 'dashboards', ['otlp_metrics'])) || pause(), 60_000);
    const end = threadCpuMs();
    const used = (tid: number) => (end.get(tid) ?? 0) - (start.get(tid) ?? 0);
    const sinkCpu = sinkThreads.reduce((n, tid) => n + used(tid), 0);
    const mainCpu = used(process.pid);
    expect(remoteWrite.requests.length).toBeGreaterThan(0);
    expect(sinkCpu).toBeGreaterThan(100);
    expect(mainCpu).toBeLessThan(sinkCpu / 4);
  });
});
