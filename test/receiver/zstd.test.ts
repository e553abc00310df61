import * as zlib from 'node:zlib';
import { JsonTraceSerializer } from '@opentelemetry/otlp-transformer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ZSTD_AVAILABLE } from '../../src/otlp/decompress.js';
import { makeSpans } from '../otlp/fixtures.js';
import { type Gateway, startGateway } from './harness.js';

const zstdCompressSync = (zlib as unknown as { zstdCompressSync?: (body: Uint8Array) => Buffer }).zstdCompressSync;

/** zstd where the runtime's zlib has it (Node 22.15+), a clear 415 where it does not (Node 20). */
describe('Content-Encoding: zstd', () => {
  let gateway: Gateway;
  beforeAll(async () => {
    gateway = await startGateway({ max_request_bytes: 64 * 1024 });
  });
  afterAll(() => gateway.close());

  const post = (body: Uint8Array) =>
    fetch(gateway.url('/v1/traces'), { method: 'POST', body, headers: { 'content-type': 'application/json', 'content-encoding': 'zstd' } });
  const body = () => JsonTraceSerializer.serializeRequest(makeSpans({ traces: 2, spansPerTrace: 3 }))!;

  // One test for both runtimes: each asserts what zstd support means where it runs.
  it('stores zstd bodies where zlib has zstd (bounded like gzip), and refuses them with 415 where it does not', async () => {
    if (!ZSTD_AVAILABLE) {
      const res = await post(body());
      expect(res.status).toBe(415);
      expect(((await res.json()) as { message: string }).message).toBe('zstd needs Node.js 22.15 or newer; send gzip or deflate');
      return;
    }
    const res = await post(zstdCompressSync!(body()));
    expect(res.status).toBe(200);
    expect(await gateway.readTopic('otlp_spans')).toHaveLength(2);

    const bomb = await post(zstdCompressSync!(Buffer.alloc(4 * 1024 * 1024)));
    expect(bomb.status).toBe(413);
    expect(((await bomb.json()) as { message: string }).message).toBe('the zstd body inflates past the limit of 65536 bytes');
  });
});
