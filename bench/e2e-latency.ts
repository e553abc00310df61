// Runs on: main thread of the benchmark process; the gateway it measures runs its own threads.
/**
 * From accepted request to sink delivery (target: p99 under 20 ms at half
 * the maximum load).
 *
 * `tributary start` runs in a child process with one pipeline: the spans topic to an otlphttp sink
 * pointing at a small OTLP/HTTP server in this process. Requests carry one trace of 10 spans each.
 * 1. Maximum load: closed loop, --concurrency requests in flight, for --seconds.
 * 2. Half of it, open loop (requests sent on a fixed schedule) for --seconds: for each trace, the
 *    time its request was answered 200 and the time the sink server received it.
 *
 * Usage: node dist/bench/e2e-latency.js [--seconds 10] [--concurrency 32] [--max-wait 5ms]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { jsonToProto } from '../src/otlp/json-to-proto.js';
import { protoToJson } from '../src/otlp/proto-to-json.js';
import { closeClients, postOtlp, startGatewayProcess } from './lib/gateway-process.js';
import { percentile, round } from './lib/stats.js';

const SPANS_PER_TRACE = 10;

function traceRequest(n: number): Uint8Array {
  const traceId = n.toString(16).padStart(32, '0');
  const now = BigInt(Date.now()) * 1_000_000n;
  return jsonToProto(
    {
      resourceSpans: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'latency-bench' } }] },
          scopeSpans: [
            {
              scope: { name: 'bench' },
              spans: Array.from({ length: SPANS_PER_TRACE }, (_, i) => ({
                traceId,
                spanId: (i + 1).toString(16).padStart(16, '0'),
                name: `op-${i}`,
                kind: 2,
                startTimeUnixNano: String(now),
                endTimeUnixNano: String(now + 1000n),
              })),
            },
          ],
        },
      ],
    },
    'ExportTraceServiceRequest',
  );
}

/** The OTLP/HTTP server the sink delivers to: notes when each trace id arrives. */
async function startSinkServer(arrived: Map<string, number>) {
  const server = createHttpServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const at = performance.now();
      const body = protoToJson(Buffer.concat(chunks), 'ExportTraceServiceRequest') as {
        resourceSpans?: { scopeSpans?: { spans?: { traceId: string }[] }[] }[];
      };
      for (const rs of body.resourceSpans ?? []) for (const ss of rs.scopeSpans ?? []) for (const s of ss.spans ?? []) if (!arrived.has(s.traceId)) arrived.set(s.traceId, at);
      res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, close: () => new Promise((r) => server.close(r)) };
}

async function startGateway(dir: string, sinkPort: number, maxWait: string) {
  return startGatewayProcess(
    dir,
    `log: { data_dir: ${join(dir, 'data')}, brokers: 3, fsync: interval }
topics:
  otlp_spans: { partitions: 6 }
  otlp_metrics: { partitions: 1 }
  otlp_logs: { partitions: 1 }
  otlp_events: { partitions: 1 }
pipelines:
  - group: latency
    topics: [otlp_spans]
    members: 2
    batch: { max_wait: ${maxWait} }
    sink: { type: otlphttp, endpoint: http://127.0.0.1:${sinkPort} }
`,
    { env: { TRIBUTARY_LOG_LEVEL: 'warn' } },
  );
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { seconds: { type: 'string', default: '10' }, concurrency: { type: 'string', default: '32' }, 'max-wait': { type: 'string', default: '5ms' } },
  });
  const seconds = Number(values.seconds);
  const dir = mkdtempSync(join(tmpdir(), 'tributary-latency-'));
  const arrived = new Map<string, number>();
  const sink = await startSinkServer(arrived);
  const gateway = await startGateway(dir, sink.port, values['max-wait']);
  let next = 1;
  try {
    // 1. Maximum load, closed loop.
    let accepted = 0;
    const until = performance.now() + seconds * 1000;
    await Promise.all(
      Array.from({ length: Number(values.concurrency) }, async () => {
        while (performance.now() < until) {
          if ((await postOtlp(gateway.receiverPort, 'traces', traceRequest(next++))) === 200) accepted++;
        }
      }),
    );
    const maxRate = accepted / seconds;
    process.stderr.write(`maximum: ${round(maxRate)} requests/s (${round(maxRate * SPANS_PER_TRACE)} spans/s)\n`);
    await new Promise((r) => setTimeout(r, 2000)); // let the sink drain the first phase

    // 2. Half of it, open loop: each trace's acceptance and delivery time.
    const rate = maxRate / 2;
    const acceptedAt = new Map<string, number>();
    const total = Math.floor(rate * seconds);
    const start = performance.now();
    const inFlight: Promise<void>[] = [];
    for (let i = 0; i < total; i++) {
      const due = start + (i * 1000) / rate;
      const wait = due - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      const n = next++;
      const traceId = n.toString(16).padStart(32, '0');
      inFlight.push(
        postOtlp(gateway.receiverPort, 'traces', traceRequest(n)).then((status) => {
          if (status === 200) acceptedAt.set(traceId, performance.now());
        }),
      );
    }
    await Promise.all(inFlight);
    const deadline = performance.now() + 10_000;
    while ([...acceptedAt.keys()].some((id) => !arrived.has(id)) && performance.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const latencies = [...acceptedAt].filter(([id]) => arrived.has(id)).map(([id, at]) => Math.max(0, arrived.get(id)! - at));
    const result = {
      benchmark: 'accepted-to-delivered',
      maxRequestsPerSecond: round(maxRate),
      loadRequestsPerSecond: round(rate),
      spansPerRequest: SPANS_PER_TRACE,
      batchMaxWait: values['max-wait'],
      sent: total,
      accepted: acceptedAt.size,
      delivered: latencies.length,
      p50Ms: round(percentile(latencies, 50)),
      p99Ms: round(percentile(latencies, 99)),
      maxMs: round(Math.max(...latencies)),
    };
    process.stderr.write(`at ${result.loadRequestsPerSecond} requests/s: p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms, ${result.delivered}/${result.accepted} delivered\n`);
    console.log(JSON.stringify(result));
  } finally {
    await gateway.stop();
    await sink.close();
    closeClients();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
