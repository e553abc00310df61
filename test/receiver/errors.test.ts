import { request } from 'node:http';
import { gzipSync } from 'node:zlib';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WireReader } from '../../src/otlp/wire-reader.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { makeSpans } from '../otlp/fixtures.js';
import { type Gateway, startGateway } from './harness.js';

const PROTOBUF = { 'content-type': 'application/x-protobuf' };
const JSON_TYPE = { 'content-type': 'application/json' };
const validBody = () => ProtobufTraceSerializer.serializeRequest(makeSpans({ traces: 2, spansPerTrace: 2 }))!;

async function post(gateway: Gateway, body: Uint8Array | string, headers: Record<string, string>, path = '/v1/traces') {
  const res = await fetch(gateway.url(path), { method: 'POST', body, headers });
  return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
}

/** google.rpc.Status fields 1 (code) and 2 (message) of a protobuf body. */
function decodeStatus(body: Buffer): { code: number; message: string } {
  const out = { code: 0, message: '' };
  const r = new WireReader(body, 0, body.length);
  while (r.next()) {
    if (r.field === 1) out.code = r.varint;
    if (r.field === 2) out.message = Buffer.from(r.bytes()).toString();
  }
  return out;
}

/** partial_success (field 1) of a protobuf ExportTraceServiceResponse: rejected_spans (1) and error_message (2). */
function decodePartialSuccess(body: Buffer): { rejected: number; message: string } | undefined {
  const r = new WireReader(body, 0, body.length);
  if (!r.next() || r.field !== 1) return undefined;
  const out = { rejected: 0, message: '' };
  const p = new WireReader(r.buf, r.valueStart, r.valueEnd);
  while (p.next()) {
    if (p.field === 1) out.rejected = p.varint;
    if (p.field === 2) out.message = Buffer.from(p.bytes()).toString();
  }
  return out;
}

async function expectStillServing(gateway: Gateway, headers: Record<string, string> = {}) {
  expect((await post(gateway, validBody(), { ...PROTOBUF, ...headers })).status).toBe(200);
}

describe('receiver error statuses', () => {
  let gateway: Gateway;
  beforeAll(async () => {
    gateway = await startGateway({ max_request_bytes: 64 * 1024, auth: { tokens: [{ token: 'a-secret-token-of-some-length', tenant: 'acme' }] } });
  });
  afterAll(() => gateway.close());
  const auth = { authorization: 'Bearer a-secret-token-of-some-length' };

  it('401 without a valid bearer token', async () => {
    const res = await post(gateway, validBody(), PROTOBUF);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer');
    expect(decodeStatus(res.body)).toEqual({ code: 16, message: 'a valid bearer token is required' });
    expect((await post(gateway, validBody(), { ...PROTOBUF, authorization: 'Bearer wrong-token-wrong-token' })).status).toBe(401);
  });

  it('stores the tenant the token names in a record header', async () => {
    expect((await post(gateway, validBody(), { ...PROTOBUF, ...auth })).status).toBe(200);
    const records = await gateway.readTopic('otlp_spans');
    expect(records.length).toBeGreaterThan(0);
    expect(records.every((r) => r.headers.find((h) => h.key === 'tenant')?.value.toString() === 'acme')).toBe(true);
  });

  it('400 with a google.rpc.Status for malformed and truncated protobuf', async () => {
    const malformed = await post(gateway, Buffer.from([0x0a, 0x05, 0x12, 0x01]), { ...PROTOBUF, ...auth });
    expect(malformed.status).toBe(400);
    expect(malformed.headers.get('content-type')).toBe('application/x-protobuf');
    expect(decodeStatus(malformed.body)).toMatchObject({ code: 3, message: expect.stringMatching(/^malformed protobuf at byte 0/) });
    const body = validBody();
    expect((await post(gateway, body.subarray(0, body.length - 7), { ...PROTOBUF, ...auth })).status).toBe(400);
    await expectStillServing(gateway, auth);
  });

  it('400 in JSON for bad JSON, naming what is wrong', async () => {
    const res = await post(gateway, '{"resourceSpans": [{"scopeSpans": 7}]}', { ...JSON_TYPE, ...auth });
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body.toString())).toEqual({ code: 3, message: 'resourceSpans[0].scopeSpans: expected an array' });
    expect((await post(gateway, '{"resourceSpans": [', { ...JSON_TYPE, ...auth })).status).toBe(400);
  });

  it('200 with partial_success when some spans are invalid, the rest stored', async () => {
    const spans = [{ traceId: '0102030405060708090a0b0c0d0e0f10', spanId: '0102030405060708', name: 'ok' }, { traceId: '01', spanId: '0102030405060708', name: 'bad' }];
    const res = await post(gateway, JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans }] }] }), { ...JSON_TYPE, ...auth });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body.toString())).toEqual({
      partialSuccess: { rejectedSpans: '1', errorMessage: '1 span rejected: malformed span: Span.traceId must be 16 bytes (at byte 40)' },
    });
    const stored = await gateway.readTopic('otlp_spans');
    expect(stored.filter((r) => r.key?.toString() === '0102030405060708090a0b0c0d0e0f10')).toHaveLength(1);
  });

  it('413 past max_request_bytes, before and after decompression (a gzip bomb is refused)', async () => {
    const big = await post(gateway, Buffer.alloc(65 * 1024, 0x0a), { ...PROTOBUF, ...auth });
    expect(big.status).toBe(413);
    expect(decodeStatus(big.body).message).toMatch(/over receiver.max_request_bytes/);
    const bomb = gzipSync(Buffer.alloc(8 * 1024 * 1024));
    const res = await post(gateway, bomb, { ...PROTOBUF, ...auth, 'content-encoding': 'gzip' });
    expect(res.status).toBe(413);
    expect(decodeStatus(res.body).message).toBe('the gzip body inflates past the limit of 65536 bytes');
    await expectStillServing(gateway, auth);
  });

  it('415 for an unknown content type or encoding', async () => {
    const res = await post(gateway, 'hello', { 'content-type': 'text/plain', ...auth });
    expect(res.status).toBe(415);
    expect(JSON.parse(res.body.toString()).message).toMatch(/unsupported content type "text\/plain"/);
    expect((await post(gateway, validBody(), { ...PROTOBUF, ...auth, 'content-encoding': 'br' })).status).toBe(415);
  });

  it('415 for Content-Encoding "none" names what to send instead, which the gateway then takes', async () => {
    const refused = await post(gateway, validBody(), { ...PROTOBUF, ...auth, 'content-encoding': 'none' });
    expect(refused.status).toBe(415);
    const { message } = decodeStatus(refused.body);
    expect(message).toBe('unsupported content encoding "none": expected gzip, deflate, zlib, zstd, snappy, x-snappy-framed, lz4, identity, or no Content-Encoding header');
    // Each way out the message names is served.
    expect((await post(gateway, validBody(), { ...PROTOBUF, ...auth, 'content-encoding': 'identity' })).status).toBe(200);
    expect((await post(gateway, validBody(), { ...PROTOBUF, ...auth })).status).toBe(200);
  });

  it('405 for a method other than POST', async () => {
    const res = await fetch(gateway.url('/v1/metrics'), { method: 'GET' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
  });
});

describe('batches and the log limit', () => {
  it('splits a partition\'s records into several batches under log.max_record_bytes; a record alone over it is rejected with partial_success', async () => {
    const gateway = await startGateway({}, { max_record_bytes: 4096 });
    try {
      const many = ProtobufTraceSerializer.serializeRequest(makeSpans({ traces: 80, spansPerTrace: 3 }))!;
      expect(many.length).toBeGreaterThan(3 * 4096 * 2);
      expect((await post(gateway, many, PROTOBUF)).status).toBe(200);
      expect(await gateway.readTopic('otlp_spans')).toHaveLength(80);
      const huge = ProtobufTraceSerializer.serializeRequest(makeSpans({ traces: 1, spansPerTrace: 40 }))!;
      const res = await post(gateway, huge, PROTOBUF);
      expect(res.status).toBe(200);
      expect(decodePartialSuccess(res.body)).toEqual({ rejected: 40, message: expect.stringMatching(/^40 spans rejected: their record of \d+ bytes is over log\.max_record_bytes \(4096 bytes\)$/) });
      expect(await gateway.readTopic('otlp_spans')).toHaveLength(80);
    } finally {
      await gateway.close();
    }
  });

  it('a request holding a trace whose record is over log.max_record_bytes beside smaller ones: 200 with partial_success for that trace, the others stored', async () => {
    const gateway = await startGateway({}, { max_record_bytes: 4096 });
    try {
      const small = makeSpans({ traces: 3, spansPerTrace: 2 });
      const huge = makeSpans({ traces: 1, spansPerTrace: 40 });
      const res = await post(gateway, JsonTraceSerializer.serializeRequest([...small, ...huge])!, JSON_TYPE);
      expect(res.status).toBe(200);
      const { partialSuccess } = JSON.parse(res.body.toString());
      expect(partialSuccess.rejectedSpans).toBe('40');
      expect(partialSuccess.errorMessage).toMatch(/^40 spans rejected: their record of \d+ bytes is over log\.max_record_bytes \(4096 bytes\)$/);
      // What the answer says was accepted is what the log holds: the three small traces.
      const stored = await gateway.readTopic('otlp_spans');
      expect(stored.map((r) => r.key!.toString()).sort()).toEqual([...new Set(small.map((s) => s.spanContext().traceId))].sort());
    } finally {
      await gateway.close();
    }
  });
});

/**
 * A request that declares its whole body and sends 10 bytes of it, holding that much of the
 * in-flight budget; then requests of 900 bytes until one is pushed back (429), which it returns.
 * `finish` sends the rest and gives its status.
 */
async function holdBudget(gateway: Gateway) {
  const url = new URL(gateway.url('/v1/traces'));
  const held = validBody();
  const slow = request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { ...PROTOBUF, 'content-length': held.length } });
  const slowDone = new Promise<number>((resolve, reject) => {
    slow.on('response', (res) => resolve(res.statusCode!)).on('error', reject);
  });
  slow.write(held.subarray(0, 10));
  // Once its handler has started, a request the budget has no room for is pushed back.
  let pushed = await post(gateway, Buffer.alloc(900), PROTOBUF);
  for (let i = 0; i < 100 && pushed.status !== 429; i++) pushed = await post(gateway, Buffer.alloc(900), PROTOBUF);
  return {
    pushed,
    finish: () => {
      slow.end(held.subarray(10));
      return slowDone;
    },
  };
}

describe('receiver pushback', () => {
  it('429 with Retry-After while the bytes in flight are over the limit', async () => {
    const gateway = await startGateway({ max_inflight_bytes: 1000 });
    try {
      // A request holding the budget pushes a second one back until it has finished.
      const { pushed, finish } = await holdBudget(gateway);
      expect(pushed.status).toBe(429);
      expect(pushed.headers.get('retry-after')).toBe('1');
      expect(decodeStatus(pushed.body).code).toBe(8);
      expect(await finish()).toBe(200);
      await expectStillServing(gateway);
    } finally {
      await gateway.close();
    }
  });

  it('413, not 429, for a request declaring more than max_request_bytes while others hold the budget: a retry would never fit', async () => {
    const gateway = await startGateway({ max_inflight_bytes: 1000, max_request_bytes: 2000 });
    try {
      // Once a slow request holds the budget, a body the budget has no room for is pushed back...
      const { pushed, finish } = await holdBudget(gateway);
      expect(pushed.status).toBe(429);
      // ... but one over the request limit is refused for good, however busy the receiver is.
      const oversize = await post(gateway, Buffer.alloc(3000), PROTOBUF);
      expect(oversize.status).toBe(413);
      expect(oversize.headers.get('retry-after')).toBeNull();
      expect(decodeStatus(oversize.body).message).toMatch(/3000 bytes is over receiver\.max_request_bytes \(2000 bytes\)/);
      expect(await finish()).toBe(200);
    } finally {
      await gateway.close();
    }
  });

  it('503 with Retry-After when a request is not stored within request_timeout', async () => {
    const gateway = await startGateway({ request_timeout: 100 });
    try {
      // The body never completes, so the request cannot be stored in time.
      const url = new URL(gateway.url('/v1/traces'));
      const stuck = request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { ...PROTOBUF, 'content-length': 1000 } });
      const response = new Promise<{ status: number; retryAfter: unknown }>((resolve, reject) => {
        stuck.on('response', (res) => resolve({ status: res.statusCode!, retryAfter: res.headers['retry-after'] })).on('error', reject);
      });
      stuck.write(Buffer.alloc(10));
      expect(await response).toEqual({ status: 503, retryAfter: '1' });
      stuck.destroy();
      // A 100 ms limit can time out a good request too on a busy machine; an exporter retries 503.
      let status = 503;
      for (let attempt = 0; attempt < 10 && status === 503; attempt++) status = (await post(gateway, validBody(), PROTOBUF)).status;
      expect(status).toBe(200);
    } finally {
      await gateway.close();
    }
  });

  it('503 with Retry-After when the log is not available', async () => {
    const gateway = await startGateway();
    try {
      await gateway.backend.shutdown();
      const res = await post(gateway, validBody(), PROTOBUF);
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('1');
      expect(decodeStatus(res.body).code).toBe(14);
    } finally {
      await gateway.close();
    }
  });

  it('logs a failure that every request meets once, not once per request', async () => {
    const lines: string[] = [];
    const gateway = await startGateway({}, {}, { logger: createLogger('test', { level: 'warn', json: true, write: (line) => lines.push(line) }) });
    try {
      await gateway.backend.shutdown();
      const started = Date.now();
      for (let i = 0; i < 200; i++) expect((await post(gateway, validBody(), PROTOBUF)).status).toBe(503);
      const failed = lines.map((l) => JSON.parse(l)).filter((l) => l.message === 'request failed');
      // One line per 10 s at most, whatever the machine's speed; the first says what failed.
      expect(failed.length).toBeGreaterThanOrEqual(1);
      expect(failed.length).toBeLessThanOrEqual(1 + Math.floor((Date.now() - started) / 10_000));
      expect(failed[0]).toMatchObject({ signal: 'traces', status: 503, code: 'SHUTTING_DOWN' });
      // Each one is still counted.
      expect(await gateway.metric('tributary_receiver_requests_total{signal="traces",status="503"}')).toBe(200);
    } finally {
      await gateway.close();
    }
  });
});
