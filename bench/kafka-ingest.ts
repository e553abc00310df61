// Runs on: main thread of the benchmark process; the gateway it measures runs its own threads.
/**
 * OTLP/HTTP ingest over the Kafka backend beside the embedded engine, in the same run: spans/s
 * acknowledged (512-span protobuf requests; 200 only once every batch is in the log), latency
 * p50/p99 as the load generator (a child process) sees it, and CPU per request — of this process
 * (receiver, producer, librdkafka's threads) and of the log's side: the embedded engine's broker
 * threads are in this process; the Kafka side is librdkafka's mock cluster, 3 brokers in one
 * child process, whose CPU is reported apart.
 *
 * The mock keeps everything in memory, replicates nothing and fsyncs nothing: it is not a real
 * Kafka cluster, and its figures say what the gateway's Kafka client path costs, not what a
 * cluster sustains. The embedded engine runs with its default fsync policy (interval).
 * Prints one JSON object on its last line.
 *
 *   npm run bench:kafka-backend -- [--requests 300] [--concurrency 8] [--rounds 2] [--dir /tmp]
 */
import { type ChildProcess, fork } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { configSchema } from '../src/config/schema.js';
import type { LogBackend } from '../src/log/backend.js';
import { createLogBackend } from '../src/log/create-backend.js';
import { createReceiver, type Receiver } from '../src/receiver/receiver.js';
import { silentLogger } from '../src/telemetry/logger.js';
import { Telemetry } from '../src/telemetry/telemetry.js';
import { startMockCluster } from './lib/kafka-mock-cluster.js';
import { round } from './lib/stats.js';
import type { LoadPhase, LoadResult } from './receiver-load.js';

const { values: args } = parseArgs({
  options: {
    requests: { type: 'string', default: '300' },
    concurrency: { type: 'string', default: '8' },
    rounds: { type: 'string', default: '2' },
    dir: { type: 'string', default: tmpdir() },
  },
});

const fromSource = import.meta.filename.endsWith('.ts');
const loadgen: ChildProcess = fork(join(import.meta.dirname, fromSource ? 'receiver-load.ts' : 'receiver-load.js'), {
  execArgv: fromSource ? ['--import', 'tsx'] : [],
});
const ready = new Promise<void>((resolve) => loadgen.once('message', () => resolve()));

const TOPICS = { otlp_spans: 6, otlp_metrics: 1, otlp_logs: 1, otlp_events: 1 };
const CLOCK_TICKS_PER_MS = 100 / 1000; // USER_HZ on Linux

/** CPU time of another process, from /proc (Linux), in ms. */
function processCpuMs(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_MS;
  } catch {
    return undefined;
  }
}

interface Server {
  name: 'embedded' | 'kafka';
  url: string;
  logPid?: number;
  backend: LogBackend;
  receiver: Receiver;
}

async function startServer(name: Server['name'], log: Record<string, unknown>, logPid?: number): Promise<Server> {
  const config = configSchema.parse({
    receiver: { endpoint: '127.0.0.1:0' },
    log,
    topics: Object.fromEntries(Object.entries(TOPICS).map(([t, partitions]) => [t, { partitions }])),
  });
  const backend = createLogBackend(config, { logger: silentLogger });
  await backend.start();
  const receiver = createReceiver({ config: config.receiver, backend, telemetry: new Telemetry(), logger: silentLogger, maxBatchBytes: config.log.max_record_bytes });
  await receiver.start();
  await receiver.warm();
  return { name, url: `http://127.0.0.1:${receiver.address().port}/v1/traces`, logPid, backend, receiver };
}

type PhaseResult = LoadResult & { cpuMsPerRequest: number; logProcessCpuMsPerRequest?: number };

async function runLoad(server: Server): Promise<PhaseResult> {
  const phase: LoadPhase = { url: server.url, gzip: false, requests: Number(args.requests), concurrency: Number(args.concurrency) };
  const cpu = process.cpuUsage();
  const logCpu = processCpuMs(server.logPid);
  const result = await new Promise<LoadResult>((resolve) => {
    loadgen.once('message', (r) => resolve(r as LoadResult));
    loadgen.send(phase);
  });
  const used = process.cpuUsage(cpu);
  const logUsed = logCpu === undefined ? undefined : processCpuMs(server.logPid)! - logCpu;
  if (result.statuses[200] !== result.requests) throw new Error(`${server.name} answered ${JSON.stringify(result.statuses)}`);
  return {
    ...result,
    cpuMsPerRequest: round((used.user + used.system) / 1000 / phase.requests, 3),
    logProcessCpuMsPerRequest: logUsed === undefined ? undefined : round(logUsed / phase.requests, 3),
  };
}

const spansPerSec = (r: LoadResult) => round(r.spans / r.seconds, 0);

async function main() {
  const dir = mkdtempSync(join(args.dir, 'tributary-bench-kafka-'));
  const mock = await startMockCluster({ brokers: 3, topics: TOPICS });
  const servers = [
    await startServer('embedded', { data_dir: dir }),
    await startServer('kafka', { backend: 'kafka', max_record_bytes: 1024 ** 2, kafka: { brokers: mock.brokers } }, mock.pid),
  ];
  await ready;
  const best = new Map<string, PhaseResult>();
  for (const server of servers) await runLoad(server); // warm-up: JIT, worker threads, connections
  // Rounds alternate the two logs and the best of each counts, so a burst of the neighbours' load
  // during one phase does not decide the comparison.
  for (let r = 0; r < Number(args.rounds); r++) {
    for (const server of servers) {
      const result = await runLoad(server);
      const previous = best.get(server.name);
      if (!previous || spansPerSec(result) > spansPerSec(previous)) best.set(server.name, result);
    }
  }
  const figures = Object.fromEntries(
    [...best].map(([name, r]) => [
      name,
      { spansPerSec: spansPerSec(r), latencyMs: r.latencyMs, cpuMsPerRequest: r.cpuMsPerRequest, logProcessCpuMsPerRequest: r.logProcessCpuMsPerRequest },
    ]),
  );
  for (const [name, f] of Object.entries(figures)) console.log(name, JSON.stringify(f));
  const stored = Object.fromEntries(
    await Promise.all(servers.map(async (s) => [s.name, (await s.backend.describeTopic('otlp_spans')).partitions.reduce((n, p) => n + p.highWatermark, 0)])),
  );
  for (const s of servers) {
    await s.receiver.shutdown();
    await s.backend.shutdown();
  }
  await mock.stop();
  loadgen.kill();
  rmSync(dir, { recursive: true, force: true });
  console.log(
    JSON.stringify({
      benchmark: 'kafka-ingest',
      kafkaCluster: 'librdkafka 2.0.2 mock cluster, 3 brokers in one process, in memory: not a real Kafka cluster',
      spansPerRequest: 512,
      requestsPerPhase: Number(args.requests),
      rounds: Number(args.rounds),
      concurrency: Number(args.concurrency),
      ...figures,
      kafkaToEmbeddedRatio: round(spansPerSec(best.get('kafka')!) / spansPerSec(best.get('embedded')!), 3),
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
