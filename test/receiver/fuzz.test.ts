import { gzipSync } from 'node:zlib';
import { JsonTraceSerializer, ProtobufLogsSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeLogs, makeSpans, seededRandom } from '../otlp/fixtures.js';
import { type Gateway, startGateway } from './harness.js';

let gateway: Gateway;
beforeAll(async () => {
  gateway = await startGateway({ max_request_bytes: 256 * 1024 });
});
afterAll(() => gateway.close());

describe('the endpoint under random and mutated bodies', () => {
  it('answers 200, 400 or 413, never 5xx, and keeps serving', async () => {
    const rnd = seededRandom(7);
    const seeds: [string, string, Uint8Array][] = [
      ['/v1/traces', 'application/x-protobuf', ProtobufTraceSerializer.serializeRequest(makeSpans({ traces: 3, spansPerTrace: 2 }))!],
      ['/v1/traces', 'application/json', JsonTraceSerializer.serializeRequest(makeSpans({ traces: 2, spansPerTrace: 2 }))!],
      ['/v1/logs', 'application/x-protobuf', ProtobufLogsSerializer.serializeRequest(makeLogs({ logs: 2, events: 2 }))!],
    ];
    const statuses = new Set<number>();
    for (const [path, type, seed] of seeds) {
      for (let i = 0; i < 40; i++) {
        const body = Buffer.from(seed);
        for (let e = 0; e < 3; e++) body[Math.floor(rnd() * body.length)] = Math.floor(rnd() * 256);
        const gzip = i % 4 === 0;
        const sent = gzip ? gzipSync(body) : body.subarray(0, i % 3 === 0 ? Math.floor(rnd() * body.length) : body.length);
        const res = await fetch(gateway.url(path), {
          method: 'POST',
          body: gzip && i % 8 === 0 ? sent.subarray(0, sent.length >> 1) : sent,
          headers: { 'content-type': type, ...(gzip ? { 'content-encoding': 'gzip' } : {}) },
        });
        await res.arrayBuffer();
        statuses.add(res.status);
        expect([200, 400, 413]).toContain(res.status);
      }
    }
    expect(statuses).toContain(400);
    const ok = await fetch(gateway.url('/v1/traces'), { method: 'POST', body: seeds[0][2], headers: { 'content-type': 'application/x-protobuf' } });
    expect(ok.status).toBe(200);
  });
});
