// Runs on: main thread of the benchmark process, and of the `--fill` child process it forks.
/**
 * Restart after kill -9 with a gigabyte of log (target: ready in under a
 * second, nothing acknowledged lost).
 *
 * 1. A child process runs the embedded engine and appends 460-byte records (batches of 1000, 8 in
 *    flight, fsync: interval) to the otlp_spans partitions, reporting every acknowledged batch.
 * 2. Once the log holds --gib GiB, the child is killed with SIGKILL while it keeps appending.
 * 3. `tributary start` runs on that data directory; the figure is the time from spawning it to
 *    /readyz answering 200, with the times its start-up steps finished (from its ready line).
 * 4. Every acknowledged record must be there: the high watermarks add up to at least the count.
 *
 * Usage: node dist/bench/restart.js [--gib 1]
 */
import { type ChildProcess, fork } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { parseConfig } from '../src/config/load.js';
import { createEmbeddedBackend } from '../src/log/embedded/embedded-backend.js';
import { runningFromSource } from '../src/paths.js';
import { silentLogger } from '../src/telemetry/logger.js';
import { startGatewayProcess } from './lib/gateway-process.js';
import { round, runConcurrently } from './lib/stats.js';

const TOPIC = 'otlp_spans';
const PARTITIONS = 6;
const RECORD_BYTES = 460;
const PER_BATCH = 1000;

function configBody(dataDir: string): string {
  return `log: { data_dir: ${dataDir}, brokers: 3, fsync: interval }
topics:
  otlp_spans: { partitions: ${PARTITIONS} }
  otlp_metrics: { partitions: 6 }
  otlp_logs: { partitions: 6 }
  otlp_events: { partitions: 6 }
`;
}

/** The child: append until killed, printing the acknowledged record count and the log size. */
async function fill(configFile: string, targetBytes: number): Promise<void> {
  const config = parseConfig(readFileSync(configFile, 'utf8'), configFile);
  const backend = createEmbeddedBackend({ log: config.log, topics: config.topics, logger: silentLogger });
  await backend.start();
  const records = Array.from({ length: PER_BATCH }, (_, i) => ({ key: Buffer.from(`k${i}`), value: Buffer.alloc(RECORD_BYTES, i % 251) }));
  let acked = 0;
  let bytes = 0;
  await runConcurrently(Number.MAX_SAFE_INTEGER, 8, async (b) => {
    await backend.produce(TOPIC, b % PARTITIONS, records);
    acked += PER_BATCH;
    bytes += PER_BATCH * (RECORD_BYTES + 20);
    process.stdout.write(`${JSON.stringify({ acked, full: bytes >= targetBytes })}\n`);
  });
}

async function fillAndKill(self: string, configFile: string, targetBytes: number): Promise<number> {
  const child: ChildProcess = fork(self, ['--fill', configFile, String(targetBytes)], {
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    execArgv: runningFromSource ? ['--import', 'tsx'] : [],
  });
  let acked = 0;
  let lastReport = 0;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  for await (const line of createInterface({ input: child.stdout! })) {
    const report = JSON.parse(line) as { acked: number; full: boolean };
    acked = report.acked;
    if (acked - lastReport >= 200_000) {
      lastReport = acked;
      process.stderr.write(`  filled ${acked.toLocaleString()} records\n`);
    }
    if (report.full) {
      child.kill('SIGKILL');
      break;
    }
  }
  await exited;
  return acked;
}

/** When each start-up step finished, in ms since the gateway's process started (from its ready line). */
function startupPhases(stderr: string): Record<string, number> {
  for (const line of stderr.split('\n').filter(Boolean)) {
    const { startupMs } = JSON.parse(line) as { startupMs?: Record<string, number> };
    if (startupMs) return startupMs;
  }
  return {};
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { gib: { type: 'string', default: '1' }, fill: { type: 'string' } }, allowPositionals: true });
  if (values.fill) return fill(values.fill, Number(process.argv.at(-1)));

  const gib = Number(values.gib);
  const dataDir = mkdtempSync(join(tmpdir(), 'tributary-restart-'));
  const configFile = join(dataDir, 'fill.yaml');
  writeFileSync(configFile, configBody(join(dataDir, 'data')));
  try {
    process.stderr.write(`filling ${gib} GiB, then kill -9\n`);
    const acked = await fillAndKill(process.argv[1], configFile, gib * 1024 ** 3);
    process.stderr.write(`killed with ${acked.toLocaleString()} records acknowledged; restarting\n`);
    const gateway = await startGatewayProcess(dataDir, configBody(join(dataDir, 'data')), { env: { TRIBUTARY_LOG_FORMAT: 'json' } });
    const topics = (await (await fetch(`http://127.0.0.1:${gateway.adminPort}/api/v1/topics`)).json()) as {
      topics: { name: string; partitions: { highWatermark: number; sizeBytes: number }[] }[];
    };
    const spans = topics.topics.find((t) => t.name === TOPIC)!;
    const present = spans.partitions.reduce((n, p) => n + p.highWatermark, 0);
    const sizeBytes = spans.partitions.reduce((n, p) => n + p.sizeBytes, 0);
    await gateway.stop();
    const result = {
      benchmark: 'restart-after-kill-9',
      logGiB: round(sizeBytes / 1024 ** 3, 3),
      acknowledgedRecords: acked,
      recordsAfterRestart: present,
      lostAcknowledged: Math.max(0, acked - present),
      readyMsFromSpawn: round(gateway.readyMs, 1),
      startupMs: startupPhases(gateway.stderr()),
    };
    process.stderr.write(
      `ready ${result.readyMsFromSpawn} ms after spawn (${JSON.stringify(result.startupMs)}); ${present.toLocaleString()} records present, ${result.lostAcknowledged} acknowledged lost\n`,
    );
    console.log(JSON.stringify(result));
    if (result.lostAcknowledged > 0) process.exitCode = 1;
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
