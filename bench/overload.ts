// Runs on: main thread of the benchmark process; the gateway it measures runs its own threads.
/**
 * Resident memory under overload (target: bounded, pushback not growth).
 *
 * A gateway process with receiver.max_inflight_bytes = --inflight MiB gets --concurrency senders
 * each POSTing --body-mib MiB OTLP/protobuf trace requests back to back for --seconds: far more
 * than it can take. Its RSS is sampled from /proc every 100 ms; the answers are counted by status.
 * Bounded means the peak stays near the idle RSS plus the in-flight budget, whatever the offered load.
 *
 * Usage: node dist/bench/overload.js [--seconds 10] [--concurrency 64] [--body-mib 2] [--inflight 64]
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { jsonToProto } from '../src/otlp/json-to-proto.js';
import { closeClients, postOtlp, startGatewayProcess } from './lib/gateway-process.js';
import { round } from './lib/stats.js';

const MiB = 1024 * 1024;
const SPANS_PER_TRACE = 64;

function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
}

function traceSpans(t: number) {
  return Array.from({ length: SPANS_PER_TRACE }, (_, i) => ({
    traceId: t.toString(16).padStart(32, '0'),
    spanId: (i + 1).toString(16).padStart(16, '0'),
    name: `operation-${i}`,
    startTimeUnixNano: '1700000000000000000',
    endTimeUnixNano: '1700000000001000000',
    attributes: [{ key: 'http.route', value: { stringValue: '/api/v1/items/{id}/details' } }],
  }));
}

/** One request of about `bytes` bytes: as many 64-span traces as fit. */
function bigRequest(bytes: number): Uint8Array {
  const request = (traces: number) =>
    jsonToProto(
      {
        resourceSpans: [
          {
            resource: { attributes: [{ key: 'service.name', value: { stringValue: 'overload' } }] },
            scopeSpans: [{ spans: Array.from({ length: traces }, (_, t) => traceSpans(t + 1)).flat() }],
          },
        ],
      },
      'ExportTraceServiceRequest',
    );
  return request(Math.max(1, Math.round(bytes / request(1).length)));
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '10' },
      concurrency: { type: 'string', default: '64' },
      'body-mib': { type: 'string', default: '2' },
      inflight: { type: 'string', default: '64' },
    },
  });
  const seconds = Number(values.seconds);
  const concurrency = Number(values.concurrency);
  const inflightBytes = Number(values.inflight) * MiB;
  const body = bigRequest(Number(values['body-mib']) * MiB);
  const dir = mkdtempSync(join(tmpdir(), 'tributary-overload-'));
  const gateway = await startGatewayProcess(
    dir,
    `log: { data_dir: ${join(dir, 'data')}, brokers: 3, fsync: interval, retention_bytes: ${256 * MiB}, segment_bytes: ${32 * MiB} }
topics:
  otlp_spans: { partitions: 6 }
  otlp_metrics: { partitions: 1 }
  otlp_logs: { partitions: 1 }
  otlp_events: { partitions: 1 }
`,
    { receiver: { max_inflight_bytes: inflightBytes }, env: { TRIBUTARY_LOG_LEVEL: 'error' } },
  );
  const pid = gateway.child.pid!;
  try {
    const idleRss = rssBytes(pid);
    let peakRss = idleRss;
    const sampler = setInterval(() => {
      peakRss = Math.max(peakRss, rssBytes(pid));
    }, 100);
    const statuses = new Map<number, number>();
    const until = performance.now() + seconds * 1000;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (performance.now() < until) {
          const status = await postOtlp(gateway.receiverPort, 'traces', body);
          statuses.set(status, (statuses.get(status) ?? 0) + 1);
        }
      }),
    );
    clearInterval(sampler);
    const accepted = statuses.get(200) ?? 0;
    const result = {
      benchmark: 'overload-rss',
      seconds,
      offeredInFlightMiB: round((concurrency * body.length) / MiB, 1),
      maxInflightMiB: inflightBytes / MiB,
      requestMiB: round(body.length / MiB, 2),
      statuses: Object.fromEntries([...statuses].sort(([a], [b]) => a - b)),
      acceptedMiBPerSecond: round((accepted * body.length) / MiB / seconds, 1),
      idleRssMiB: round(idleRss / MiB, 1),
      peakRssMiB: round(peakRss / MiB, 1),
      growthOverBudget: round((peakRss - idleRss) / inflightBytes, 2),
    };
    process.stderr.write(
      `offered ${result.offeredInFlightMiB} MiB in flight against a ${result.maxInflightMiB} MiB budget: ${JSON.stringify(result.statuses)}; RSS ${result.idleRssMiB} → peak ${result.peakRssMiB} MiB\n`,
    );
    console.log(JSON.stringify(result));
  } finally {
    await gateway.stop();
    closeClients();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
