// Runs on: main thread of the load generator, a child process of bench/delivery.ts.
/**
 * Load generator for bench/delivery.ts, run as a child process so its CPU is not the gateway's.
 * Builds the requests of one shape once, then, per message from the parent, keeps
 * `concurrency` requests in flight for `warmupSeconds + seconds`; tells the parent when the
 * warm-up ends and answers with what was accepted after it.
 *
 * Shapes (512 items a request, OTLP/protobuf):
 * - `traces-64x8`: 512 spans in 64 traces of 8 (64 records a request);
 * - `traces-512x1`: 512 single-span traces (512 records a request);
 * - `metrics`: 512 data points from 8 resources: gauges, sums and histograms (8 records a request).
 */
import { Agent, request } from 'node:http';
import { metricsRequest, tracesRequest } from './lib/otlp-payloads.js';

export type Shape = 'traces-64x8' | 'traces-512x1' | 'metrics';

export interface DeliveryLoad {
  port: number;
  shape: Shape;
  concurrency: number;
  warmupSeconds: number;
  seconds: number;
}

export interface DeliveryLoadResult {
  /** Requests answered 200 after the warm-up, and their items. */
  requests: number;
  items: number;
  seconds: number;
  statuses: Record<string, number>;
}

const ITEMS_PER_REQUEST = 512;
const DISTINCT = 8;

async function bodies(shape: Shape): Promise<Buffer[]> {
  if (shape === 'metrics') return Promise.all(Array.from({ length: DISTINCT }, (_, i) => metricsRequest(i)));
  const [traces, spansPerTrace] = shape === 'traces-64x8' ? [64, 8] : [512, 1];
  return Array.from({ length: DISTINCT }, (_, i) => tracesRequest(traces, spansPerTrace, i));
}

function post(agent: Agent, port: number, path: string, body: Buffer): Promise<number> {
  return new Promise((resolve) => {
    const headers = { 'content-type': 'application/x-protobuf', 'content-length': body.length };
    const req = request({ host: '127.0.0.1', port, path, method: 'POST', agent, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', () => resolve(0));
    req.end(body);
  });
}

async function run(load: DeliveryLoad): Promise<DeliveryLoadResult> {
  const list = await bodies(load.shape);
  const path = load.shape === 'metrics' ? '/v1/metrics' : '/v1/traces';
  const agent = new Agent({ keepAlive: true, maxSockets: load.concurrency });
  const start = performance.now();
  const warm = start + load.warmupSeconds * 1000;
  const end = warm + load.seconds * 1000;
  let warmed = false;
  const statuses: Record<string, number> = {};
  let accepted = 0;
  let n = 0;
  const lane = async () => {
    while (performance.now() < end) {
      const status = await post(agent, load.port, path, list[n++ % list.length]);
      const now = performance.now();
      if (!warmed && now >= warm) {
        warmed = true;
        process.send!('warm');
      }
      if (now < warm || now > end) continue;
      statuses[status] = (statuses[status] ?? 0) + 1;
      if (status === 200) accepted++;
      else await new Promise((r) => setTimeout(r, 50));
    }
  };
  await Promise.all(Array.from({ length: load.concurrency }, lane));
  agent.destroy();
  return { requests: accepted, items: accepted * ITEMS_PER_REQUEST, seconds: load.seconds, statuses };
}

process.on('message', (load: DeliveryLoad) => {
  run(load).then((result) => process.send!(result));
});
process.send!('ready');
