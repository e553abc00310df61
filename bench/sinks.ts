// Runs on: main thread of the benchmark process; the gateway it measures runs its own threads.
/**
 * Each sink's throughput and cost: items/s a pipeline moves from the embedded log to its sink,
 * from the first poll until the group committed everything, and the CPU per item of this whole
 * process (all threads: brokers, the sink worker, and the do-nothing destination, a node:http
 * server in this process that reads each request and answers 200). Beside them, a member that
 * fetches, decodes and commits but discards (a consumer on the main thread): the cost of
 * reading the log alone.
 *
 * Span records hold one trace each (real SDK spans, as the receiver stores them); metric records
 * one resource of 64 data points (gauges, sums, histograms). Sinks: otlphttp (plain, gzip),
 * prometheusremotewrite, file (plain, gzip), webhook. Prints one JSON object on its last line.
 *
 *   npm run bench:sinks -- [--records 50000] [--spans 5] [--partitions 4] [--members 1] [--dir /tmp]
 *     [--only otlphttp,prometheusremotewrite]   (the results to run, by their names below; default all)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { configSchema } from '../src/config/schema.js';
import { createEmbeddedBackend, type EmbeddedBackend } from '../src/log/embedded/embedded-backend.js';
import type { ProducerRecord } from '../src/log/types.js';
import { createPipelines } from '../src/sinks/runtime/pipelines.js';
import { silentLogger } from '../src/telemetry/logger.js';
import { Telemetry } from '../src/telemetry/telemetry.js';
import { POINTS_PER_RESOURCE, resourceMetrics, tracesRequest } from './lib/otlp-payloads.js';
import { round, timed } from './lib/stats.js';

const { values: args } = parseArgs({
  options: {
    records: { type: 'string', default: '50000' },
    spans: { type: 'string', default: '5' },
    partitions: { type: 'string', default: '4' },
    members: { type: 'string', default: '1' },
    dir: { type: 'string', default: tmpdir() },
    only: { type: 'string' },
  },
});
const RECORDS = Number(args.records);
const PARTITIONS = Number(args.partitions);
const PROTOBUF = [{ key: 'content-type', value: 'application/x-protobuf' }];

interface Workload {
  topic: string;
  templates: ProducerRecord[];
  itemsPerRecord: number;
}

/** A sink's pipeline config, or the discarding member. */
type Target = Record<string, unknown> | 'discard';

async function fill(log: EmbeddedBackend, { topic, templates }: Workload, records: number): Promise<number> {
  await log.createTopic({ name: topic, partitions: PARTITIONS }, { ifNotExists: true });
  const perPartition = Math.ceil(records / PARTITIONS);
  for (let p = 0; p < PARTITIONS; p++) {
    for (let i = 0; i < perPartition; i += 500) {
      await log.produce(topic, p, Array.from({ length: Math.min(500, perPartition - i) }, (_, k) => templates[(i + k) % templates.length]));
    }
  }
  return perPartition * PARTITIONS;
}

async function committed(log: EmbeddedBackend): Promise<number> {
  return (await log.fetchOffsets('bench')).reduce((n, o) => n + o.offset, 0);
}

/** A member on this thread that polls, commits and throws the records away. */
async function discard(log: EmbeddedBackend, topic: string, total: number): Promise<void> {
  const consumer = log.createConsumer({ group: 'bench', topics: [topic], autoOffsetReset: 'earliest' });
  let read = 0;
  while (read < total) {
    read += (await consumer.poll({ maxRecords: 1000, maxBytes: 4 * 1024 ** 2, maxWaitMs: 100 })).length;
    await consumer.commit();
  }
  await consumer.close();
}

async function run(target: Target, workload: Workload, records = RECORDS) {
  const dataDir = mkdtempSync(join(args.dir, 'tributary-bench-sinks-'));
  const pipeline = { group: 'bench', topics: [workload.topic], sink: target, members: Number(args.members), batch: { max_records: 1000, max_wait: 20 } };
  const config = configSchema.parse({ log: { data_dir: dataDir, brokers: 2, fsync: 'never' }, pipelines: target === 'discard' ? [] : [pipeline] });
  const telemetry = new Telemetry();
  const log = createEmbeddedBackend({ log: config.log, groups: config.groups, telemetry, logger: silentLogger });
  await log.start();
  const total = await fill(log, workload, records);
  const bytes = Array.from({ length: total }, (_, i) => workload.templates[i % workload.templates.length].value!.length).reduce((a, b) => a + b, 0);
  const pipelines = config.pipelines.length === 0 ? undefined : createPipelines({ pipelines: config.pipelines, backend: log, telemetry, logger: silentLogger });
  // Threads start (and load their code) before the clock does.
  if (pipelines) await pipelines.start();
  const cpu = process.cpuUsage();
  const seconds = await timed(async () => {
    if (!pipelines) return discard(log, workload.topic, total);
    while ((await committed(log)) < total) await new Promise((r) => setTimeout(r, 5));
  });
  const used = process.cpuUsage(cpu);
  await pipelines?.shutdown();
  await log.shutdown();
  rmSync(dataDir, { recursive: true, force: true });
  const items = total * workload.itemsPerRecord;
  return {
    records: total,
    items,
    seconds: round(seconds, 3),
    itemsPerSec: Math.round(items / seconds),
    cpuUsPerItem: round((used.user + used.system) / items, 2),
    MiBPerSec: round(bytes / seconds / 2 ** 20),
  };
}

const spans: Workload = {
  topic: 'otlp_spans',
  itemsPerRecord: Number(args.spans),
  templates: Array.from({ length: 200 }, (_, i) => ({ value: tracesRequest(1, Number(args.spans), i), headers: PROTOBUF })),
};
const metrics: Workload = {
  topic: 'otlp_metrics',
  itemsPerRecord: POINTS_PER_RESOURCE,
  templates: await Promise.all(Array.from({ length: 64 }, async (_, i) => ({ value: await resourceMetrics(i % 8, i), headers: PROTOBUF }))),
};

const server = createServer((req, res) => {
  req.on('data', () => {});
  req.on('end', () => res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end());
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
const outDir = mkdtempSync(join(args.dir, 'tributary-bench-file-'));

// Warm-up (not reported): JIT, first worker threads, first group join.
await run({ type: 'otlphttp', endpoint: url }, spans, 2000);

// Metric records hold about 13 times the items of a 5-span record: a thirteenth of them keeps phases alike.
const metricRecords = Math.max(1000, Math.round((RECORDS * spans.itemsPerRecord) / POINTS_PER_RESOURCE));
const runs: Record<string, () => ReturnType<typeof run>> = {
  discardSpans: () => run('discard', spans),
  otlphttp: () => run({ type: 'otlphttp', endpoint: url }, spans),
  otlphttpGzip: () => run({ type: 'otlphttp', endpoint: url, compression: 'gzip' }, spans),
  file: () => run({ type: 'file', path: join(outDir, 'plain.jsonl') }, spans),
  fileGzip: () => run({ type: 'file', path: join(outDir, 'gzip.jsonl'), compression: 'gzip' }, spans),
  webhook: () => run({ type: 'webhook', endpoint: url }, spans),
  discardMetrics: () => run('discard', metrics, metricRecords),
  prometheusremotewrite: () => run({ type: 'prometheusremotewrite', endpoint: `${url}/api/v1/write` }, metrics, metricRecords),
};
const only = args.only?.split(',');
const unknown = only?.filter((name) => !(name in runs)) ?? [];
if (unknown.length > 0) throw new Error(`--only: no run named ${unknown.join(', ')} (runs: ${Object.keys(runs).join(', ')})`);
const measured: Record<string, Awaited<ReturnType<typeof run>>> = {};
for (const [name, measure] of Object.entries(runs)) if (!only || only.includes(name)) measured[name] = await measure();
const results = {
  spanRecordBytes: Math.round(spans.templates.reduce((n, r) => n + r.value!.length, 0) / spans.templates.length),
  metricRecordBytes: Math.round(metrics.templates.reduce((n, r) => n + r.value!.length, 0) / metrics.templates.length),
  spansPerRecord: spans.itemsPerRecord,
  pointsPerMetricRecord: POINTS_PER_RESOURCE,
  partitions: PARTITIONS,
  members: Number(args.members),
  ...measured,
};
server.close();
rmSync(outDir, { recursive: true, force: true });
const summary = Object.entries(measured).map(
  ([name, r]) => `${name.padEnd(22)} ${String(r.itemsPerSec).padStart(9)} items/s  ${String(r.cpuUsPerItem).padStart(6)} µs CPU/item  ${r.MiBPerSec} MiB/s`,
);
for (const line of summary) console.log(line);
console.log(JSON.stringify({ ...results, summary }));
