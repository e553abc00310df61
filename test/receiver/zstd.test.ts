import { execFileSync } from 'node:child_process';
import * as zlib from 'node:zlib';
import { JsonTraceSerializer } from '@opentelemetry/otlp-transformer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeSpans } from '../otlp/fixtures.js';
import { type Gateway, startGateway } from './harness.js';

const zlibZstd = (zlib as unknown as { zstdCompressSync?: (body: Uint8Array) => Buffer }).zstdCompressSync;
/** The runtime's zstd where it has one (Node 22.15+), else the zstd command (Debian's zstd), as a client's would. */
const zstdCompressSync = (body: Uint8Array): Buffer => zlibZstd?.(body) ?? execFileSync('zstd', ['-q', '-c'], { input: body });

/** zstd on every supported runtime: Node's zlib where it has zstd, the bounded fzstd path on Node 20. */
describe('Content-Encoding: zstd', () => {
  let gateway: Gateway;
  beforeAll(async () => {
    gateway = await startGateway({ max_request_bytes: 64 * 1024 });
  });
  afterAll(() => gateway.close());

  const post = (body: Uint8Array) =>
    fetch(gateway.url('/v1/traces'), { method: 'POST', body, headers: { 'content-type': 'application/json', 'content-encoding': 'zstd' } });
  const body = () => JsonTraceSerializer.serializeRequest(makeSpans({ traces: 2, spansPerTrace: 3 }))!;

  it('stores zstd bodies, bounded like gzip: a bomb gets 413, a corrupt body 400', async () => {
    const res = await post(zstdCompressSync(body()));
    expect(res.status).toBe(200);
    expect(await gateway.readTopic('otlp_spans')).toHaveLength(2);

    const bomb = await post(zstdCompressSync(Buffer.alloc(4 * 1024 * 1024)));
    expect(bomb.status).toBe(413);
    expect(((await bomb.json()) as { message: string }).message).toBe('the zstd body inflates past the limit of 65536 bytes');

    const corrupt = zstdCompressSync(body());
    corrupt[corrupt.length >> 1] ^= 0xff;
    corrupt.writeUInt32LE(0, 0); // no frame magic: corrupt on every runtime
    const refused = await post(corrupt);
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { message: string }).message).toMatch(/^the body is not valid zstd: /);
  });
});
