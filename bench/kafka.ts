// Runs on: main thread of the benchmark process; the gateway it measures runs its own threads.
/**
 * kcat producing to and consuming from Tributary's Kafka listener, beside librdkafka's mock
 * cluster (in memory, bench/kafka-mock/mock-cluster.c, compiled here with cc and librdkafka-dev)
 * in the same run: the same kcat commands, the same 460-byte records, one partition. kcat
 * produces `--records` (acks=all), then consumes the last `--consume-records` of them, `--reads`
 * times (the mock keeps only the last few MB of a partition, so it cannot serve more). Each side
 * runs `--rounds` times, alternating; the best of each counts. Reported per phase: records per
 * second, and the CPU per record of the server (the gateway process, all threads, or the mock
 * process, from /proc's per-thread run time) and of kcat (10 ms ticks); a consume phase's CPU is
 * the mean over its reads, its rate the best read's. A read that hangs is tried again and
 * counted (`hungReads`). Prints one JSON object on its last line.
 *
 *   npm run bench:kafka-listener -- [--records 300000] [--consume-records 10000] [--reads 5] [--rounds 2] [--fsync interval]
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { packageRoot } from '../src/paths.js';
import { startGatewayProcess } from './lib/gateway-process.js';
import { whenQuiet } from './lib/quiet.js';
import { round } from './lib/stats.js';
import { processRunTimeMs } from './lib/thread-cpu.js';

const { values: args } = parseArgs({
  options: {
    records: { type: 'string', default: '300000' },
    'consume-records': { type: 'string', default: '10000' },
    reads: { type: 'string', default: '5' },
    rounds: { type: 'string', default: '2' },
    fsync: { type: 'string', default: 'interval' },
  },
});
const RECORDS = Number(args.records);
const CONSUME_RECORDS = Math.min(RECORDS, Number(args['consume-records']));
const RECORD_BYTES = 460;
const TOPIC = 'bench';

interface Server {
  name: string;
  bootstrap: string;
  pid: number;
  stop(): Promise<void>;
}

interface Phase {
  recordsPerSec: number;
  serverCpuUsPerRecord: number;
  kcatCpuUsPerRecord: number;
}

function startMock(dir: string): Promise<Server> {
  const bin = join(dir, 'mock-cluster');
  execFileSync('cc', ['-O2', '-o', bin, join(packageRoot, 'bench', 'kafka-mock', 'mock-cluster.c'), '-lrdkafka']);
  const child = spawn(bin, [TOPIC, '1'], { stdio: ['pipe', 'pipe', 'ignore'] });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.stdout!.once('data', (line: Buffer) =>
      resolve({
        name: 'librdkafka mock cluster',
        bootstrap: line.toString().trim(),
        pid: child.pid!,
        stop: () =>
          new Promise<void>((done) => {
            child.once('exit', () => done());
            child.stdin!.end();
          }),
      }),
    );
  });
}

async function startTributary(dir: string): Promise<Server> {
  const body = `log: { data_dir: ${join(dir, 'data')}, brokers: 1, fsync: ${args.fsync} }\ntopics:\n  ${TOPIC}: { partitions: 1 }\n`;
  const gateway = await startGatewayProcess(dir, body, { env: { TRIBUTARY_LOG_LEVEL: 'warn' } });
  return { name: 'tributary', bootstrap: `127.0.0.1:${gateway.kafkaPort}`, pid: gateway.child.pid!, stop: () => gateway.stop() };
}

/** A consume of 10,000 records takes tens of ms: one still running after this has hung. */
const CONSUME_TIMEOUT_MS = 10_000;
/**
 * kcat 1.7 (librdkafka 2.0.2) now and then never finishes a read that the next try completes in
 * milliseconds; seen against the mock cluster. A hung read is counted, reported and tried again,
 * up to this many times in a row; then the bench fails.
 */
const HUNG_READ_TRIES = 3;

class KcatHung extends Error {}

/** Runs kcat under /usr/bin/time, killed after `timeoutMs`; returns its wall time and CPU time in ms. */
function kcat(kcatArgs: string[], timeoutMs = 300_000): { wallMs: number; cpuMs: number } {
  const started = performance.now();
  const run = spawnSync('/usr/bin/time', ['-f', 'CPU %U %S', 'kcat', ...kcatArgs], { stdio: ['ignore', 'ignore', 'pipe'], timeout: timeoutMs, killSignal: 'SIGKILL' });
  const wallMs = performance.now() - started;
  const stderr = run.stderr?.toString() ?? '';
  if (run.signal === 'SIGKILL' && wallMs >= timeoutMs) {
    throw new KcatHung(`kcat ${kcatArgs.join(' ')} did not finish within ${timeoutMs} ms (hung):\n${stderr}`);
  }
  if (run.status !== 0) throw new Error(`kcat ${kcatArgs.join(' ')} failed (status ${run.status}, signal ${run.signal}):\n${stderr}`);
  const m = /CPU ([\d.]+) ([\d.]+)\s*$/.exec(stderr);
  return { wallMs, cpuMs: m ? (Number(m[1]) + Number(m[2])) * 1000 : Number.NaN };
}

function measure(server: Server, records: number, kcatArgs: string[], timeoutMs?: number): Phase {
  const before = processRunTimeMs(server.pid) ?? Number.NaN;
  const { wallMs, cpuMs } = kcat(['-b', server.bootstrap, '-t', TOPIC, '-p', '0', ...kcatArgs], timeoutMs);
  const serverMs = (processRunTimeMs(server.pid) ?? Number.NaN) - before;
  return {
    recordsPerSec: Math.round(records / (wallMs / 1000)),
    serverCpuUsPerRecord: round((serverMs * 1000) / records, 3),
    kcatCpuUsPerRecord: round((cpuMs * 1000) / records, 3),
  };
}

/** One consume read, tried again when kcat hangs (HUNG_READ_TRIES); `hung` counts the hung tries. */
function measureRead(server: Server, hung: { reads: number }): Phase {
  for (let attempt = 1; ; attempt++) {
    try {
      // -c: exits once every record arrived, so a short read cannot pass for a fast one.
      return measure(server, CONSUME_RECORDS, ['-C', '-o', String(-CONSUME_RECORDS), '-c', String(CONSUME_RECORDS), '-q'], CONSUME_TIMEOUT_MS);
    } catch (err) {
      if (!(err instanceof KcatHung) || attempt >= HUNG_READ_TRIES) throw err;
      hung.reads++;
      console.log(`${server.name}: a read hung for ${CONSUME_TIMEOUT_MS / 1000} s; trying it again`);
    }
  }
}

async function runSide(
  start: (dir: string) => Promise<Server>,
  input: string,
): Promise<{ name: string; produce: Phase; consume: Phase; hungReads: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-bench-kafka-'));
  const server = await start(dir);
  try {
    await whenQuiet();
    // kcat waits for every delivery report (acks=all) before it exits.
    const produce = measure(server, RECORDS, ['-P', '-l', '-X', 'acks=all', '-X', 'linger.ms=5', input]);
    const reads: Phase[] = [];
    const hung = { reads: 0 };
    for (let i = 0; i < Number(args.reads); i++) {
      await whenQuiet();
      reads.push(measureRead(server, hung));
    }
    return { name: server.name, produce, consume: { ...best(reads), ...meanCpu(reads) }, hungReads: hung.reads };
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

const best = (runs: Phase[]): Phase => runs.reduce((a, b) => (b.recordsPerSec > a.recordsPerSec ? b : a));

/** CPU per record over all the reads: one short read is a few ms of CPU, too little to stand alone. */
const meanCpu = (runs: Phase[]): Pick<Phase, 'serverCpuUsPerRecord' | 'kcatCpuUsPerRecord'> => ({
  serverCpuUsPerRecord: round(runs.reduce((s, r) => s + r.serverCpuUsPerRecord, 0) / runs.length, 3),
  kcatCpuUsPerRecord: round(runs.reduce((s, r) => s + r.kcatCpuUsPerRecord, 0) / runs.length, 3),
});

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'tributary-bench-kafka-input-'));
  const input = join(work, 'records.txt');
  const line = 'x'.repeat(RECORD_BYTES);
  writeFileSync(input, `${Array.from({ length: RECORDS }, () => line).join('\n')}\n`);
  const sides = [
    { name: 'librdkafka mock cluster', start: startMock, runs: [] as { produce: Phase; consume: Phase; hungReads: number }[] },
    { name: 'tributary', start: startTributary, runs: [] as { produce: Phase; consume: Phase; hungReads: number }[] },
  ];
  for (let r = 0; r < Number(args.rounds); r++) {
    for (const side of sides) {
      const result = await runSide(side.start, input);
      side.runs.push(result);
      console.log(`${side.name} round ${r + 1}: produce ${JSON.stringify(result.produce)} consume ${JSON.stringify(result.consume)}`);
    }
  }
  rmSync(work, { recursive: true, force: true });
  const summary = Object.fromEntries(
    sides.map((s) => [
      s.name,
      { produce: best(s.runs.map((x) => x.produce)), consume: best(s.runs.map((x) => x.consume)), hungReads: s.runs.reduce((n, x) => n + x.hungReads, 0) },
    ]),
  );
  const mock = summary['librdkafka mock cluster'];
  const ours = summary.tributary;
  console.log(
    JSON.stringify({
      bench: 'kafka',
      records: RECORDS,
      consumeRecords: CONSUME_RECORDS,
      recordBytes: RECORD_BYTES,
      fsync: args.fsync,
      cores: cpus().length,
      kcat: execFileSync('kcat', ['-V']).toString().split('\n')[0],
      ...summary,
      ratio: {
        produce: round(ours.produce.recordsPerSec / mock.produce.recordsPerSec, 2),
        consume: round(ours.consume.recordsPerSec / mock.consume.recordsPerSec, 2),
      },
    }),
  );
}

await main();
