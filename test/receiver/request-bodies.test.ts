import { spawnSync } from 'node:child_process';
import { type IncomingMessage, request } from 'node:http';
import { Readable } from 'node:stream';
import { deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConsumedRecord } from '../../src/log/types.js';
import { readBody } from '../../src/receiver/request-body.js';
import { forEachField } from '../../src/otlp/wire-reader.js';
import { clientAvailable, PYTHON } from '../kafka/helpers.js';
import { makeSpans } from '../otlp/fixtures.js';
import { type Gateway, startGateway } from './harness.js';

/** Spans in a stored ExportTraceServiceRequest, by trace id (hex). */
function spansByTrace(records: ConsumedRecord[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const record of records) {
    const value = record.value!;
    forEachField(value, 0, value.length, (resource) =>
      forEachField(value, resource.valueStart, resource.valueEnd, (scope) => {
        if (scope.field !== 2) return;
        forEachField(value, scope.valueStart, scope.valueEnd, (span) => {
          if (span.field !== 2) return;
          forEachField(value, span.valueStart, span.valueEnd, (field) => {
            if (field.field !== 1) return;
            const id = Buffer.from(value.subarray(field.valueStart, field.valueEnd)).toString('hex');
            counts.set(id, (counts.get(id) ?? 0) + 1);
          });
        });
      }),
    );
  }
  return counts;
}

/** POSTs a body in chunks without a Content-Length (Transfer-Encoding: chunked). */
function postChunked(url: string, body: Uint8Array): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' } }, (res) => {
      res.resume().on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    for (let at = 0; at < body.length; at += 1000) req.write(body.subarray(at, at + 1000));
    req.end();
  });
}

describe('request bodies in shared memory', () => {
  let gateway: Gateway;
  beforeAll(async () => {
    gateway = await startGateway({ workers: 2 });
  });
  afterAll(() => gateway.close());

  it('stores every span of many concurrent requests of every size once, with and without Content-Length or gzip', async () => {
    const sent = new Map<string, number>();
    const posts: Promise<number>[] = [];
    // Sizes from a few hundred bytes to several slab classes; memory is reused between rounds.
    for (let round = 0; round < 3; round++) {
      for (const traces of [1, 7, 40, 150, 400]) {
        const spans = makeSpans({ traces, spansPerTrace: 3 });
        for (const span of spans) sent.set(span.spanContext().traceId, (sent.get(span.spanContext().traceId) ?? 0) + 1);
        const body = ProtobufTraceSerializer.serializeRequest(spans)!;
        const url = gateway.url('/v1/traces');
        if (traces % 2 === 0) posts.push(postChunked(url, body));
        else if (round === 1) posts.push(fetch(url, { method: 'POST', body: gzipSync(body), headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip' } }).then((r) => r.status));
        else posts.push(fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/x-protobuf' } }).then((r) => r.status));
      }
    }
    expect(await Promise.all(posts)).toEqual(posts.map(() => 200));
    expect(spansByTrace(await gateway.readTopic('otlp_spans'))).toEqual(sent);
  });

  it('stores a body sent with Content-Encoding deflate, in the zlib format or raw', async () => {
    const before = spansByTrace(await gateway.readTopic('otlp_spans'));
    const spans = makeSpans({ traces: 4, spansPerTrace: 2 });
    const traceIds = [...new Set(spans.map((s) => s.spanContext().traceId))];
    const body = ProtobufTraceSerializer.serializeRequest(spans)!;
    for (const deflate of [deflateSync, deflateRawSync]) {
      const res = await fetch(gateway.url('/v1/traces'), { method: 'POST', body: deflate(body), headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'deflate' } });
      expect(res.status, await res.text()).toBe(200);
    }
    const after = spansByTrace(await gateway.readTopic('otlp_spans'));
    expect(traceIds.map((id) => (after.get(id) ?? 0) - (before.get(id) ?? 0))).toEqual(traceIds.map(() => 4));
  });

  // The compressions the Collector's otlphttp exporter offers, each sent under its own name:
  // zlib, snappy (framed, as it sends it, or the block format), x-snappy-framed and lz4 (frames).
  const hasReferenceLibraries = clientAvailable(PYTHON, ['-c', 'import lz4.frame, snappy'], 'python3-lz4 and python3-snappy');
  it.runIf(hasReferenceLibraries)('stores a body sent with Content-Encoding zlib, snappy (block or framed), x-snappy-framed or lz4, written by the reference libraries', async () => {
    const before = spansByTrace(await gateway.readTopic('otlp_spans'));
    // Over 64 KiB, so the snappy stream holds several chunks and the LZ4 frame several blocks.
    const spans = makeSpans({ traces: 600, spansPerTrace: 2 });
    const traceIds = [...new Set(spans.map((s) => s.spanContext().traceId))];
    const body = Buffer.from(ProtobufTraceSerializer.serializeRequest(spans)!);
    expect(body.length).toBeGreaterThan(2 * 65536);
    // python-snappy's C crc32c fails on recent Pythons (PY_SSIZE_T_CLEAN); its framing is used with a CRC-32C in Python.
    const script = `import sys, base64, zlib, snappy, snappy.snappy, lz4.frame
table = []
for n in range(256):
    c = n
    for _ in range(8):
        c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
    table.append(c)
def crc32c(data):
    c = 0xFFFFFFFF
    for b in data:
        c = table[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF
snappy.snappy._crc32c = crc32c
d = sys.stdin.buffer.read()
for b in (zlib.compress(d), snappy.compress(d), snappy.StreamCompressor().compress(d), snappy.StreamCompressor().compress(d), lz4.frame.compress(d, block_size=lz4.frame.BLOCKSIZE_MAX64KB, content_checksum=True)):
    print(base64.b64encode(b).decode())`;
    const out = spawnSync(PYTHON, ['-c', script], { input: body, maxBuffer: 1 << 28 });
    expect(out.status, out.stderr?.toString()).toBe(0);
    const encoded = out.stdout.toString().trim().split('\n').map((l) => Buffer.from(l, 'base64'));
    const encodings = ['zlib', 'snappy', 'snappy', 'x-snappy-framed', 'lz4'];
    for (const [i, encoding] of encodings.entries()) {
      const res = await fetch(gateway.url('/v1/traces'), { method: 'POST', body: encoded[i], headers: { 'content-type': 'application/x-protobuf', 'content-encoding': encoding } });
      expect(res.status, `${encoding}: ${await res.text()}`).toBe(200);
    }
    const after = spansByTrace(await gateway.readTopic('otlp_spans'));
    expect(traceIds.map((id) => (after.get(id) ?? 0) - (before.get(id) ?? 0))).toEqual(traceIds.map(() => 2 * encodings.length));
  });
});

describe('readBody', () => {
  const stream = (chunks: number[], headers: Record<string, string>) =>
    Object.assign(Readable.from(chunks.map((n) => Buffer.alloc(n, 1))), { headers }) as unknown as IncomingMessage;

  const options = (limit: number) => ({ limit, allocate: (n: number) => new Uint8Array(n), reserve: () => true });

  it('refuses, without throwing, a body longer than the Content-Length it was read into', async () => {
    await expect(readBody(stream([10, 10], { 'content-length': '12' }), options(1000))).rejects.toMatchObject({
      code: 'INVALID_REQUEST',
      message: expect.stringMatching(/longer than its Content-Length of 12/),
    });
  });

  it('gathers a body without a Content-Length, and stops past the limit', async () => {
    expect((await readBody(stream([10, 10], {}), options(1000))).length).toBe(20);
    await expect(readBody(stream([600, 600], {}), options(1000))).rejects.toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
  });
});

