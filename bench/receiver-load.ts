// Runs on: main thread of the load generator, a child process of bench/receiver.ts and bench/kafka-ingest.ts.
/**
 * Load generator for bench/receiver.ts, run as a child process so its CPU and memory are not
 * the gateway's. It builds the 512-span requests once, then, per message from the parent,
 * sends them over keep-alive connections and answers with the count, time and latencies.
 */
import { Agent, request } from 'node:http';
import { gzipSync } from 'node:zlib';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { makeSpans } from '../test/otlp/fixtures.js';
import { percentile, round, runConcurrently, timed } from './lib/stats.js';

export interface LoadPhase {
  url: string;
  gzip: boolean;
  requests: number;
  concurrency: number;
}

export interface LoadResult {
  requests: number;
  spans: number;
  seconds: number;
  latencyMs: { p50: number; p99: number };
  statuses: Record<string, number>;
  bodyBytes: number;
}

const SPANS_PER_REQUEST = 512;
const DISTINCT_REQUESTS = 16;

// 64 traces of 8 spans: a typical SDK batch holds several traces.
const plain = Array.from({ length: DISTINCT_REQUESTS }, (_, i) =>
  Buffer.from(ProtobufTraceSerializer.serializeRequest(makeSpans({ service: `svc-${i % 4}`, traces: SPANS_PER_REQUEST / 8, spansPerTrace: 8 }))!),
);
const gzipped = plain.map((b) => gzipSync(b));

function post(url: URL, agent: Agent, body: Buffer, gzip: boolean): Promise<number> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { 'content-type': 'application/x-protobuf', 'content-length': body.length };
    if (gzip) headers['content-encoding'] = 'gzip';
    const req = request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', agent, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject).end(body);
  });
}

async function run(phase: LoadPhase): Promise<LoadResult> {
  const url = new URL(phase.url);
  const agent = new Agent({ keepAlive: true, maxSockets: phase.concurrency });
  const bodies = phase.gzip ? gzipped : plain;
  const latencies = new Float64Array(phase.requests);
  const statuses: Record<string, number> = {};
  const seconds = await timed(() =>
    runConcurrently(phase.requests, phase.concurrency, async (i) => {
      const start = performance.now();
      const status = await post(url, agent, bodies[i % bodies.length], phase.gzip);
      latencies[i] = performance.now() - start;
      statuses[status] = (statuses[status] ?? 0) + 1;
    }),
  );
  agent.destroy();
  return {
    requests: phase.requests,
    spans: (statuses[200] ?? 0) * SPANS_PER_REQUEST,
    seconds,
    latencyMs: { p50: round(percentile(latencies, 50)), p99: round(percentile(latencies, 99)) },
    statuses,
    bodyBytes: bodies.reduce((n, b) => n + b.length, 0) / bodies.length,
  };
}

process.on('message', (phase: LoadPhase) => {
  run(phase).then((result) => process.send!(result));
});
process.send!('ready');
