// Runs on: main thread of the benchmark process; the gateway it measures runs its own threads.
/**
 * OTLP/HTTP ingest: spans/s acknowledged by the receiver (512-span protobuf requests, stored in
 * the embedded log with the default fsync policy) beside a do-nothing node:http server that reads
 * the same requests, in the same run; the ratio is the figure (target: ≥ 0.5). The same
 * with gzip. Latency p50/p99 as the load generator (a child process) sees it; peak RSS of this
 * process, and the CPU time (all threads of this process) per request of each server: on a shared
 * machine the throughput ratio moves with the neighbours' load, the CPU cost much less. On Linux,
 * the receiver's CPU per request by thread too: main, brokers, ingest workers, other (V8's
 * platform threads: garbage collection, compilation).
 * Prints one JSON object on its last line.
 *
 *   npm run bench:receiver -- [--requests 400] [--concurrency 8] [--rounds 3] [--workers N] [--brokers N] [--dir /tmp]
 */
import { type ChildProcess, fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { configSchema } from '../src/config/schema.js';
import { createEmbeddedBackend } from '../src/log/embedded/embedded-backend.js';
import { createReceiver } from '../src/receiver/receiver.js';
import { silentLogger } from '../src/telemetry/logger.js';
import { Telemetry } from '../src/telemetry/telemetry.js';
import type { LoadPhase, LoadResult } from './receiver-load.js';
import { round } from './lib/stats.js';
import { cpuByRole, threadCpuMs, threadIds } from './lib/thread-cpu.js';

const { values: args } = parseArgs({
  options: {
    requests: { type: 'string', default: '400' },
    concurrency: { type: 'string', default: '8' },
    rounds: { type: 'string', default: '3' },
    workers: { type: 'string' },
    brokers: { type: 'string' },
    dir: { type: 'string', default: tmpdir() },
  },
});

// Run from sources (tsx) or from a build, the load generator is the sibling file.
const fromSource = import.meta.filename.endsWith('.ts');
const loadgen: ChildProcess = fork(join(import.meta.dirname, fromSource ? 'receiver-load.ts' : 'receiver-load.js'), {
  execArgv: fromSource ? ['--import', 'tsx'] : [],
});
const ready = new Promise<void>((resolve) => loadgen.once('message', () => resolve()));

/**
 * Threads of the gateway by role (Linux): brokers appear with the log, ingest workers with the
 * receiver. The main thread is the server's serial part: the pool and the brokers scale with
 * cores, it does not, so its cost per request bounds the ratio on any machine.
 */
const roles: Record<'brokers' | 'ingestWorkers', Set<number>> = { brokers: new Set(), ingestWorkers: new Set() };

type PhaseResult = LoadResult & { cpuMsPerRequest: number; mainThreadCpuMsPerRequest?: number; cpuMsPerRequestByThread?: Record<string, number> };

/** A load phase, with the CPU time this process (all its threads, and each role's) spent per request. */
async function runLoad(url: string, gzip: boolean): Promise<PhaseResult> {
  const phase: LoadPhase = { url, gzip, requests: Number(args.requests), concurrency: Number(args.concurrency) };
  const cpu = process.cpuUsage();
  const threadsBefore = threadCpuMs();
  const result = await new Promise<LoadResult>((resolve) => {
    loadgen.once('message', (r) => resolve(r as LoadResult));
    loadgen.send(phase);
  });
  const used = process.cpuUsage(cpu);
  const perRequest = (ms: number) => round(ms / phase.requests, 3);
  const byRole = threadsBefore.size > 0 ? cpuByRole(threadsBefore, threadCpuMs(), roles) : undefined;
  return {
    ...result,
    cpuMsPerRequest: perRequest((used.user + used.system) / 1000),
    mainThreadCpuMsPerRequest: byRole && perRequest(byRole.main),
    cpuMsPerRequestByThread: byRole && Object.fromEntries(Object.entries(byRole).map(([role, ms]) => [role, perRequest(ms)])),
  };
}

/** The baseline: reads each request body whole, answers 200 with an empty body. */
async function baseline(gzip: boolean) {
  const server: Server = createServer((req, res) => {
    req.on('data', () => {});
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    return await runLoad(`http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`, gzip);
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

const spansPerSec = (r: LoadResult) => round(r.spans / r.seconds, 0);

async function main() {
  const dir = mkdtempSync(join(args.dir, 'tributary-bench-receiver-'));
  const config = configSchema.parse({
    receiver: { endpoint: '127.0.0.1:0', ...(args.workers ? { workers: Number(args.workers) } : {}) },
    log: { data_dir: dir, ...(args.brokers ? { brokers: Number(args.brokers) } : {}) },
    topics: { otlp_spans: { partitions: 6 } },
  });
  const backend = createEmbeddedBackend({ log: config.log, topics: config.topics, logger: silentLogger });
  const beforeLog = threadIds();
  await backend.start();
  const beforeReceiver = threadIds();
  for (const tid of beforeReceiver) if (!beforeLog.has(tid)) roles.brokers.add(tid);
  const receiver = createReceiver({ config: config.receiver, backend, telemetry: new Telemetry(), logger: silentLogger });
  await receiver.start();
  await receiver.warm();
  for (const tid of threadIds()) if (!beforeReceiver.has(tid)) roles.ingestWorkers.add(tid);
  await ready;
  const url = `http://127.0.0.1:${receiver.address().port}/v1/traces`;

  const figures: Record<string, unknown> = {};
  for (const gzip of [false, true]) {
    await runLoad(url, gzip); // warm-up: JIT, worker threads, segment files
    // Rounds alternate the two servers and the best of each counts, so a burst of the
    // neighbours' load during one phase does not decide the ratio.
    let base: Awaited<ReturnType<typeof baseline>> | undefined;
    let gateway: Awaited<ReturnType<typeof runLoad>> | undefined;
    for (let r = 0; r < Number(args.rounds); r++) {
      const b = await baseline(gzip);
      const g = await runLoad(url, gzip);
      if (g.statuses[200] !== g.requests) throw new Error(`receiver answered ${JSON.stringify(g.statuses)}`);
      if (!base || spansPerSec(b) > spansPerSec(base)) base = b;
      if (!gateway || spansPerSec(g) > spansPerSec(gateway)) gateway = g;
    }
    if (!base || !gateway) throw new Error('--rounds must be at least 1');
    figures[gzip ? 'gzip' : 'protobuf'] = {
      requestBytes: round(gateway.bodyBytes, 0),
      baselineSpansPerSec: spansPerSec(base),
      receiverSpansPerSec: spansPerSec(gateway),
      ratio: round(spansPerSec(gateway) / spansPerSec(base), 3),
      latencyMs: gateway.latencyMs,
      baselineLatencyMs: base.latencyMs,
      cpuMsPerRequest: gateway.cpuMsPerRequest,
      baselineCpuMsPerRequest: base.cpuMsPerRequest,
      mainThreadCpuMsPerRequest: gateway.mainThreadCpuMsPerRequest,
      baselineMainThreadCpuMsPerRequest: base.mainThreadCpuMsPerRequest,
      cpuMsPerRequestByThread: gateway.cpuMsPerRequestByThread,
    };
    console.log(gzip ? 'gzip' : 'protobuf', JSON.stringify(figures[gzip ? 'gzip' : 'protobuf']));
  }
  const stored = (await backend.describeTopic('otlp_spans')).partitions.reduce((n, p) => n + p.highWatermark, 0);
  await receiver.shutdown();
  await backend.shutdown();
  loadgen.kill();
  rmSync(dir, { recursive: true, force: true });
  console.log(
    JSON.stringify({
      benchmark: 'receiver',
      spansPerRequest: 512,
      requestsPerPhase: Number(args.requests),
      rounds: Number(args.rounds),
      ingestWorkers: args.workers ? Number(args.workers) : 'default',
      brokers: config.log.brokers,
      concurrency: Number(args.concurrency),
      ...figures,
      recordsStored: stored,
      peakRssMiB: round(process.resourceUsage().maxRSS / 1024, 0),
    }),
  );
}

main().catch((err) => {
  console.error(err);
  loadgen.kill();
  process.exit(1);
});
