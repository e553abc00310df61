// Runs on: main thread of the benchmark process; the gateway it measures runs its own threads.
/**
 * The embedded log engine end to end (main thread → broker threads → segment files and back):
 * append and fetch throughput of 460-byte records in batches of 100 and 1000, append latency per
 * batch, and, when redis-server is installed, Redis Streams on the same records (pipelined XADD,
 * XREADGROUP) as the baseline with the ratio. A warm-up of both at each batch size comes first and
 * does not count: the engine's first appends run while V8 still compiles on the same two cores.
 * Each engine run's segments are deleted once it is read back, as the Redis side DELs its streams.
 * Each measured run waits for a quiet machine (bench/lib/quiet.ts), so neither side's cleanup lands
 * in the other's measurement, and follows a lead-in of the same side (`--lead-in` records).
 * Prints one JSON object on its last line.
 *
 *   npm run bench:log -- [--records 1000000] [--rounds 2] [--warmup 1000000] [--lead-in <records>] [--concurrency 8] [--brokers 3] [--fsync never] [--dir /tmp]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { configSchema } from '../src/config/schema.js';
import { createEmbeddedBackend, type EmbeddedBackend } from '../src/log/embedded/embedded-backend.js';
import { encodeRecordBatch } from '../src/log/record-batch.js';
import type { ProducerRecord } from '../src/log/types.js';
import { redisAvailable, startRedis } from './lib/redis.js';
import { latencyFigures } from './lib/redis-streams.js';
import { startRedisStreamsProcess } from './lib/redis-streams-process.js';
import { whenQuiet } from './lib/quiet.js';
import { round, runConcurrently, timed } from './lib/stats.js';
import { cpuByRole, threadCpuMs, threadIds } from './lib/thread-cpu.js';

const { values: args } = parseArgs({
  options: {
    // A million records: at 200,000 a phase lasts 0.1-0.4 s and measures the machine's jitter more than either side.
    records: { type: 'string', default: '1000000' },
    concurrency: { type: 'string', default: '8' },
    dir: { type: 'string', default: tmpdir() },
    rounds: { type: 'string', default: '2' },
    // V8 keeps optimizing the append path for the first million or two records: in a produce
    // loop, batches of 100 took 108-120 µs of CPU in the first million, 71-89 in the second and
    // mostly 65-73 after (BENCHMARKS.md, log engine, "Session 5").
    warmup: { type: 'string', default: '1000000' },
    // As many as a measured run: each side is measured on the memory its lead-in used and freed.
    'lead-in': { type: 'string' },
    brokers: { type: 'string', default: '3' },
    // Redis runs without persistence (--save "" --appendonly no); "never" still writes every batch
    // to its segment file before answering, so a crash of the process loses nothing.
    fsync: { type: 'string', default: 'never' },
  },
});
const RECORD_BYTES = 460;
const PARTITIONS = 6;
const TOTAL = Number(args.records);
const CONCURRENCY = Number(args.concurrency);
const ROUNDS = Number(args.rounds);
const LEAD_IN = Number(args['lead-in'] ?? args.records);
const BATCH_SIZES = [100, 1000];
/** Small enough that dropRun() leaves little behind: 6 partitions × at most 16 MiB per run. */
const SEGMENT_BYTES = 16 * 1024 * 1024;
const value = Buffer.alloc(RECORD_BYTES, 0x61);

/** Broker threads, told apart from the main thread and V8's platform threads (`other`). */
const roles = { brokers: new Set<number>() };

async function runEngine(backend: EmbeddedBackend, perBatch: number, topic: string, total = TOTAL): Promise<Run> {
  await backend.createTopic({ name: topic, partitions: PARTITIONS, segmentBytes: SEGMENT_BYTES });
  const records: ProducerRecord[] = Array.from({ length: perBatch }, () => ({ value }));
  const batches = Math.ceil(total / perBatch);
  const latencies = new Float64Array(batches);
  const appendCpu = process.cpuUsage();
  const appendThreads = threadCpuMs();
  const appendSeconds = await timed(() =>
    runConcurrently(batches, CONCURRENCY, async (b) => {
      const start = performance.now();
      await backend.produce(topic, b % PARTITIONS, records);
      latencies[b] = performance.now() - start;
    }),
  );
  const appendCpuMicros = cpuMicros(appendCpu);
  const appendByThread = perBatchByRole(appendThreads, batches);
  // One batch per fetch, as XREADGROUP COUNT perBatch reads one batch's worth per call.
  let read = 0;
  const batchBytes = encodeRecordBatch(records).length;
  const fetchCpu = process.cpuUsage();
  const fetchThreads = threadCpuMs();
  const fetchSeconds = await timed(async () => {
    await Promise.all(
      Array.from({ length: PARTITIONS }, async (_, partition) => {
        let offset = 0;
        for (;;) {
          const result = await backend.fetch({ topic, partition, offset, maxBytes: batchBytes });
          if (result.records.length === 0) return;
          for (const r of result.records) if (r.value && r.value.length > 0) read++;
          offset = result.nextOffset;
          if (offset >= result.highWatermark) return;
        }
      }),
    );
  });
  const fetchCpuMicros = cpuMicros(fetchCpu);
  const fetchByThread = perBatchByRole(fetchThreads, batches);
  if (read !== batches * perBatch) throw new Error(`read ${read} of ${batches * perBatch} records back`);
  await dropRun(backend, topic);
  const cpuPerBatch = { append: appendCpuMicros / batches, fetch: fetchCpuMicros / batches };
  const cpuByThread = appendByThread && fetchByThread ? { append: appendByThread, fetch: fetchByThread } : undefined;
  return { appendSeconds, fetchSeconds, records: batches * perBatch, latencies: latencyFigures(latencies), cpuPerBatch, cpuByThread };
}

/**
 * Deletes a run's segments (all but each partition's active one) once it is read back, as the
 * Redis side DELs its streams. Otherwise the engine's page cache grows by every run while Redis
 * reuses its memory, and on this VM memory the guest has not touched for a while costs ~10× more
 * to write into: bench/write-cost.ts took 50-58 ms of CPU per 300 MB for the first 1.3-2.7 GB and
 * 540-660 ms after (BENCHMARKS.md, log engine, "Session 5").
 */
async function dropRun(backend: EmbeddedBackend, topic: string): Promise<void> {
  await backend.updateTopic(topic, { retentionBytes: 1 });
  await backend.enforceRetention();
}

/** CPU µs per batch by thread role since `before` (Linux only; 10 ms ticks, so long phases only). */
function perBatchByRole(before: Map<number, number>, batches: number): Record<string, number> | undefined {
  if (before.size === 0) return undefined;
  const ms = cpuByRole(before, threadCpuMs(), roles);
  return Object.fromEntries(Object.entries(ms).map(([role, used]) => [role, Math.round((used * 1000) / batches)]));
}

/** CPU time of the whole process (main and broker threads, user and system) since `start`. */
function cpuMicros(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return used.user + used.system;
}

type Run = {
  appendSeconds: number;
  fetchSeconds: number;
  records: number;
  latencies: { p50: number; p99: number };
  /** CPU µs per batch: the engine's process, or redis-server and its client together (Linux only for Redis). */
  cpuPerBatch?: { append: number; fetch: number };
  /** Engine only, on Linux: the same split by thread (main, brokers, other). */
  cpuByThread?: { append: Record<string, number>; fetch: Record<string, number> };
  /** Redis only, on Linux: the same split by process (server, client). */
  cpuByProcess?: { append: Record<string, number>; fetch: Record<string, number> };
};

function figures(run: Run) {
  return {
    appendRecordsPerSec: Math.round(run.records / run.appendSeconds),
    appendMiBPerSec: round((run.records * RECORD_BYTES) / run.appendSeconds / 1024 ** 2, 1),
    fetchRecordsPerSec: Math.round(run.records / run.fetchSeconds),
    fetchMiBPerSec: round((run.records * RECORD_BYTES) / run.fetchSeconds / 1024 ** 2, 1),
    appendLatencyMs: { p50: round(run.latencies.p50, 3), p99: round(run.latencies.p99, 3) },
    ...(run.cpuPerBatch && {
      cpuMicrosPerBatch: { append: Math.round(run.cpuPerBatch.append), fetch: Math.round(run.cpuPerBatch.fetch) },
    }),
    ...(run.cpuByThread && { cpuMicrosPerBatchByThread: run.cpuByThread }),
    ...(run.cpuByProcess && { cpuMicrosPerBatchByProcess: run.cpuByProcess }),
  };
}

/** The best append, fetch and CPU per batch over the rounds (the machine is shared; noise only slows). */
function best(runs: Run[]) {
  const append = runs.reduce((a, b) => (b.appendSeconds < a.appendSeconds ? b : a));
  const fetch = runs.reduce((a, b) => (b.fetchSeconds < a.fetchSeconds ? b : a));
  const cpu = runs.flatMap((r) => (r.cpuPerBatch ? [r.cpuPerBatch] : []));
  const cpuPerBatch = cpu.length > 0 ? { append: Math.min(...cpu.map((c) => c.append)), fetch: Math.min(...cpu.map((c) => c.fetch)) } : undefined;
  const leanest = runs.find((r) => r.cpuPerBatch?.append === cpuPerBatch?.append);
  return figures({ ...append, fetchSeconds: fetch.fetchSeconds, cpuPerBatch, cpuByThread: leanest?.cpuByThread, cpuByProcess: leanest?.cpuByProcess });
}

async function main() {
  const dataDir = mkdtempSync(join(args.dir, 'tributary-bench-log-'));
  const log = configSchema.parse({ log: { data_dir: dataDir, brokers: Number(args.brokers), fsync: args.fsync } }).log;
  const backend = createEmbeddedBackend({ log });
  const beforeBrokers = threadIds();
  await backend.start();
  for (const tid of threadIds()) if (!beforeBrokers.has(tid)) roles.brokers.add(tid);
  const server = redisAvailable() ? await startRedis() : undefined;
  if (!server) console.log('redis-server is not on PATH: no baseline (apt-get install redis-server)');
  const redisClient = server && startRedisStreamsProcess();
  const runRedis =
    server && redisClient
      ? async (perBatch: number, records = TOTAL): Promise<Run> => {
          const run = await redisClient.run({
            port: server.port,
            serverPid: server.pid,
            streams: PARTITIONS,
            records,
            perBatch,
            concurrency: CONCURRENCY,
            valueBytes: RECORD_BYTES,
          });
          const total = (phase: { server: number; client: number }) => phase.server + phase.client;
          const cpu = run.cpuByProcess;
          return { ...run, ...(cpu && { cpuPerBatch: { append: total(cpu.append), fetch: total(cpu.fetch) } }) };
        }
      : undefined;
  const runs: Record<string, { engine: Run[]; redis: Run[] }> = {};
  // Each measured run starts on a quiet machine (what the previous run left behind is done) and
  // right after a lead-in of the same side that does not count: on this VM the engine's first run
  // after seconds of Redis took ~25% more CPU per batch than the run right after it (BENCHMARKS.md,
  // log engine, session 5).
  const waits: number[] = [];
  const measured = async (run: (records: number, name: string) => Promise<Run>, name: string): Promise<Run> => {
    waits.push(await whenQuiet());
    if (LEAD_IN > 0) await run(LEAD_IN, `lead-in-${name}`);
    return run(TOTAL, name);
  };
  try {
    const warmup = Number(args.warmup);
    if (warmup > 0) {
      for (const perBatch of BATCH_SIZES) {
        await runEngine(backend, perBatch, `warmup-${perBatch}`, warmup);
        await runRedis?.(perBatch, warmup);
      }
    }
    // Rounds alternate the engine and Redis, so both see the same share of a busy machine.
    for (let r = 0; r < ROUNDS; r++) {
      for (const perBatch of BATCH_SIZES) {
        runs[perBatch] ??= { engine: [], redis: [] };
        const engineRun = await measured((records, name) => runEngine(backend, perBatch, name, records), `bench-${perBatch}-${r}`);
        runs[perBatch].engine.push(engineRun);
        console.log(`round ${r} engine batch ${perBatch}`, figures(engineRun));
        if (!runRedis) continue;
        const redisRun = await measured((records) => runRedis(perBatch, records), `redis-${perBatch}-${r}`);
        runs[perBatch].redis.push(redisRun);
        console.log(`round ${r} redis batch ${perBatch}`, figures(redisRun));
      }
    }
  } finally {
    redisClient?.close();
    await server?.stop();
    await backend.shutdown();
    rmSync(dataDir, { recursive: true, force: true });
  }

  const engine: Record<string, ReturnType<typeof figures>> = {};
  const redis: Record<string, ReturnType<typeof figures>> = {};
  const ratio: Record<string, { append: number; fetch: number }> = {};
  for (const perBatch of BATCH_SIZES) {
    const key = `batch${perBatch}`;
    engine[key] = best(runs[perBatch].engine);
    if (!server) continue;
    redis[key] = best(runs[perBatch].redis);
    ratio[key] = {
      append: round(engine[key].appendRecordsPerSec / redis[key].appendRecordsPerSec),
      fetch: round(engine[key].fetchRecordsPerSec / redis[key].fetchRecordsPerSec),
    };
  }
  console.log(
    JSON.stringify({
      bench: 'log-engine',
      recordBytes: RECORD_BYTES,
      records: TOTAL,
      rounds: ROUNDS,
      warmupRecords: Number(args.warmup),
      leadInRecords: LEAD_IN,
      partitions: PARTITIONS,
      brokers: log.brokers,
      fsync: log.fsync,
      concurrency: CONCURRENCY,
      cpus: cpus().length,
      loadAverage: loadavg().map((l) => round(l, 1)),
      quietWaitMs: { total: waits.reduce((a, b) => a + b, 0), max: Math.max(...waits) },
      node: process.version,
      engine,
      redis: server ? { version: server.version, ...redis } : null,
      ratio: server ? ratio : null,
    }),
  );
}

await main();
