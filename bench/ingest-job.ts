// Runs on: main thread of the benchmark process (the ingest job runs on this thread, as on an ingest worker).
/**
 * The ingest worker's job alone (decompress, validate, split, partition, encode the record
 * batches), on the receiver bench's 512-span OTLP/protobuf trace requests, plain and gzip, in
 * this thread: CPU µs per request (`process.cpuUsage`, so GC helper threads count) and KB
 * allocated per request (JS heap + ArrayBuffers grown over a window with no GC in it). With
 * `--against <dist dir>` it loads another build's job too and alternates the two, round by
 * round, so both are measured in the same run. Prints one JSON object on its last line.
 *
 *   npm run bench:ingest -- [--against /tmp/before/dist] [--rounds 5] [--iterations 2000]
 */
import { resolve } from 'node:path';
import { PerformanceObserver } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { IngestJob, IngestJobResult } from '../src/receiver/ingest-job.js';
import { makeSpans } from '../test/otlp/fixtures.js';
import { round } from './lib/stats.js';

const { values: args } = parseArgs({
  options: {
    against: { type: 'string' },
    rounds: { type: 'string', default: '5' },
    iterations: { type: 'string', default: '2000' },
  },
});
const ROUNDS = Number(args.rounds);
const ITERATIONS = Number(args.iterations);
/** Requests per allocation window: small enough that the young generation does not fill. */
const ALLOCATION_WINDOW = 20;

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc (npm run bench:ingest does)');

type RunJob = (job: IngestJob) => IngestJobResult;

const protobuf = Array.from({ length: 16 }, (_, i) =>
  Buffer.from(ProtobufTraceSerializer.serializeRequest(makeSpans({ service: `svc-${i % 4}`, traces: 64, spansPerTrace: 8 }))!),
);
const gzip = protobuf.map((b) => gzipSync(b));
const bodies = { protobuf, gzip };

function jobFor(encoding: 'identity' | 'gzip', body: Buffer): IngestJob {
  return { signal: 'traces', format: 'protobuf', encoding, body, maxBytes: 64 << 20, partitions: { traces: 6 }, receivedAt: Date.now(), maxBatchBytes: 1 << 20, maxWriteAmplification: 32, maxWriteBytes: 256 << 20 };
}

async function load(dist: string): Promise<RunJob> {
  const url = pathToFileURL(resolve(dist, 'src/receiver/ingest-job.js')).href;
  return ((await import(url)) as { runIngestJob: RunJob }).runIngestJob;
}

let gcs = 0;
new PerformanceObserver((list) => {
  gcs += list.getEntries().length;
}).observe({ entryTypes: ['gc'] });
const settle = () => new Promise((r) => setTimeout(r, 20));

function cpuUsPerRequest(run: RunJob, kind: keyof typeof bodies): number {
  const list = bodies[kind];
  const encoding = kind === 'gzip' ? 'gzip' : 'identity';
  const start = process.cpuUsage();
  for (let i = 0; i < ITERATIONS; i++) run(jobFor(encoding, list[i % list.length]));
  const used = process.cpuUsage(start);
  return (used.user + used.system) / ITERATIONS;
}

/** Heap and ArrayBuffer growth over a window without a GC; windows a GC fell into are retried. */
async function allocatedKbPerRequest(run: RunJob, kind: keyof typeof bodies): Promise<number> {
  const list = bodies[kind];
  const encoding = kind === 'gzip' ? 'gzip' : 'identity';
  for (let attempt = 0; attempt < 10; attempt++) {
    gc!();
    await settle();
    const before = gcs;
    const m0 = process.memoryUsage();
    for (let i = 0; i < ALLOCATION_WINDOW; i++) run(jobFor(encoding, list[i % list.length]));
    const m1 = process.memoryUsage();
    await settle();
    if (gcs !== before) continue;
    return (m1.heapUsed - m0.heapUsed + m1.arrayBuffers - m0.arrayBuffers) / ALLOCATION_WINDOW / 1024;
  }
  throw new Error('every allocation window had a GC in it: raise --min-semi-space-size');
}

const builds: [string, RunJob][] = [['this', await load(resolve(import.meta.dirname, '..'))]];
if (args.against) builds.push(['against', await load(args.against)]);

const samples: Record<string, Record<string, { cpuUs: number[]; allocatedKb: number[] }>> = {};
for (const [name, run] of builds) {
  samples[name] = { protobuf: { cpuUs: [], allocatedKb: [] }, gzip: { cpuUs: [], allocatedKb: [] } };
  for (const kind of ['protobuf', 'gzip'] as const) cpuUsPerRequest(run, kind); // warm-up
}
for (let r = 0; r < ROUNDS; r++) {
  // Alternate which build goes first, so neither always runs on a warmer machine.
  const order = r % 2 === 0 ? builds : [...builds].reverse();
  for (const [name, run] of order) {
    for (const kind of ['protobuf', 'gzip'] as const) {
      samples[name][kind].cpuUs.push(cpuUsPerRequest(run, kind));
      samples[name][kind].allocatedKb.push(await allocatedKbPerRequest(run, kind));
    }
  }
}

const summary = (xs: number[]) => ({ min: round(Math.min(...xs), 1), max: round(Math.max(...xs), 1) });
const result: Record<string, unknown> = {
  benchmark: 'ingest-job',
  spansPerRequest: 512,
  requestBytes: protobuf[0].length,
  gzipBytes: gzip[0].length,
  rounds: ROUNDS,
  iterations: ITERATIONS,
};
for (const [name] of builds) {
  const s = samples[name];
  result[name] = Object.fromEntries(
    (['protobuf', 'gzip'] as const).map((kind) => [kind, { cpuUs: summary(s[kind].cpuUs), allocatedKb: summary(s[kind].allocatedKb) }]),
  );
}
if (args.against) result.againstDist = resolve(args.against);
console.log(JSON.stringify(result));
