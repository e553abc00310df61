/**
 * Sink throughput: records/s a pipeline moves from the embedded log to its sink, from the first
 * poll until the group committed everything. Each record is one trace (a real SDK span tree
 * serialized by otlp-transformer, as the receiver stores it). Sinks: otlphttp into a local
 * node:http receiver that reads each request and answers 200; file (OTLP/JSON lines) plain and
 * gzip. Prints one JSON object on its last line.
 *
 *   npm run bench:sinks -- [--records 50000] [--spans 5] [--partitions 4] [--members 1] [--dir /tmp]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { context, trace } from '@opentelemetry/api';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { configSchema } from '../src/config/schema.js';
import { createEmbeddedBackend } from '../src/log/embedded/embedded-backend.js';
import type { ProducerRecord } from '../src/log/types.js';
import { createPipelines } from '../src/sinks/runtime/pipelines.js';
import { silentLogger } from '../src/telemetry/logger.js';
import { Telemetry } from '../src/telemetry/telemetry.js';
import { round, timed } from './lib/stats.js';

const { values: args } = parseArgs({
  options: {
    records: { type: 'string', default: '50000' },
    spans: { type: 'string', default: '5' },
    partitions: { type: 'string', default: '4' },
    members: { type: 'string', default: '1' },
    dir: { type: 'string', default: tmpdir() },
  },
});
const RECORDS = Number(args.records);
const PARTITIONS = Number(args.partitions);

/** One record per trace: `distinct` real traces, reused round-robin so setup stays quick. */
function traceRecords(spansPerTrace: number, distinct = 200): ProducerRecord[] {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'bench', 'host.name': 'bench-host' }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer('bench');
  const out: ProducerRecord[] = [];
  for (let t = 0; t < distinct; t++) {
    const root = tracer.startSpan(`GET /cart/${t}`, { attributes: { 'http.route': '/cart/:id', 'http.status_code': 200 } });
    const parent = trace.setSpan(context.active(), root);
    for (let s = 1; s < spansPerTrace; s++) tracer.startSpan(`db.query ${s}`, { attributes: { 'db.system': 'postgresql' } }, parent).end();
    root.end();
    out.push({ value: ProtobufTraceSerializer.serializeRequest(exporter.getFinishedSpans())!, headers: [{ key: 'content-type', value: 'application/x-protobuf' }] });
    exporter.reset();
  }
  return out;
}

async function run(sink: Record<string, unknown>, templates: ProducerRecord[], records = RECORDS) {
  const dataDir = mkdtempSync(join(args.dir, 'tributary-bench-sinks-'));
  const config = configSchema.parse({
    log: { data_dir: dataDir, brokers: 2, fsync: 'never' },
    pipelines: [{ group: 'bench', topics: ['otlp_spans'], sink, members: Number(args.members), batch: { max_records: 1000, max_wait: 20 } }],
  });
  const telemetry = new Telemetry();
  const log = createEmbeddedBackend({ log: config.log, groups: config.groups, telemetry, logger: silentLogger });
  await log.start();
  await log.createTopic({ name: 'otlp_spans', partitions: PARTITIONS });
  const perPartition = Math.ceil(records / PARTITIONS);
  let bytes = 0;
  for (let p = 0; p < PARTITIONS; p++) {
    for (let i = 0; i < perPartition; i += 500) {
      const batch = Array.from({ length: Math.min(500, perPartition - i) }, (_, k) => templates[(i + k) % templates.length]);
      for (const r of batch) bytes += r.value!.length;
      await log.produce('otlp_spans', p, batch);
    }
  }
  const total = perPartition * PARTITIONS;
  const pipelines = createPipelines({
    pipelines: config.pipelines,
    backend: log,
    telemetry,
    logger: silentLogger,
  });
  const seconds = await timed(async () => {
    await pipelines.start();
    for (;;) {
      const offsets = await log.fetchOffsets('bench');
      if (offsets.reduce((n, o) => n + o.offset, 0) >= total) break;
      await new Promise((r) => setTimeout(r, 5));
    }
  });
  await pipelines.shutdown();
  await log.shutdown();
  rmSync(dataDir, { recursive: true, force: true });
  return { records: total, seconds: round(seconds, 3), recordsPerSec: Math.round(total / seconds), MiBPerSec: round(bytes / seconds / 2 ** 20) };
}

const templates = traceRecords(Number(args.spans));
const server = createServer((req, res) => {
  req.on('data', () => {});
  req.on('end', () => res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end());
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
const outDir = mkdtempSync(join(args.dir, 'tributary-bench-file-'));

// Warm-up (not reported): JIT, first worker threads, first group join.
await run({ type: 'otlphttp', endpoint: url }, templates, 2000);

const results = {
  recordBytes: Math.round(templates.reduce((n, r) => n + r.value!.length, 0) / templates.length),
  spansPerRecord: Number(args.spans),
  partitions: PARTITIONS,
  members: Number(args.members),
  otlphttp: await run({ type: 'otlphttp', endpoint: url }, templates),
  otlphttpGzip: await run({ type: 'otlphttp', endpoint: url, compression: 'gzip' }, templates),
  file: await run({ type: 'file', path: join(outDir, 'plain.jsonl') }, templates),
  fileGzip: await run({ type: 'file', path: join(outDir, 'gzip.jsonl'), compression: 'gzip' }, templates),
};
server.close();
rmSync(outDir, { recursive: true, force: true });
for (const [name, r] of Object.entries(results)) if (typeof r === 'object') console.log(`${name.padEnd(14)} ${String(r.recordsPerSec).padStart(8)} records/s  ${r.MiBPerSec} MiB/s`);
console.log(JSON.stringify(results));
