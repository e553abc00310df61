import { deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import { ProtobufLogsSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { describe, expect, it } from 'vitest';
import { decompress } from '../../src/otlp/decompress.js';
import { encodeExportResponse, encodeStatus } from '../../src/otlp/responses.js';
import { WireReader } from '../../src/otlp/wire-reader.js';

describe('export responses', () => {
  it('are read by the real deserializers: empty on success, partial_success otherwise', () => {
    expect(encodeExportResponse('traces', 0, '', 'protobuf')).toHaveLength(0);
    const partial = encodeExportResponse('traces', 3, '3 spans rejected: bad ids', 'protobuf') as Uint8Array;
    expect(ProtobufTraceSerializer.deserializeResponse(partial)).toEqual({
      partialSuccess: { rejectedSpans: 3, errorMessage: '3 spans rejected: bad ids' },
    });
    const logs = encodeExportResponse('logs', 2, 'x', 'protobuf') as Uint8Array;
    expect(ProtobufLogsSerializer.deserializeResponse(logs).partialSuccess).toMatchObject({ rejectedLogRecords: 2 });
    expect(JSON.parse(encodeExportResponse('metrics', 4, 'y', 'json') as string)).toEqual({
      partialSuccess: { rejectedDataPoints: '4', errorMessage: 'y' },
    });
  });

  it('encode google.rpc.Status with its code and message', () => {
    const bytes = encodeStatus(3, 'trace_id must be 16 bytes', 'protobuf') as Uint8Array;
    const r = new WireReader(bytes, 0, bytes.length);
    const fields: unknown[] = [];
    while (r.next()) fields.push(r.wireType === 0 ? r.varint : Buffer.from(r.bytes()).toString());
    expect(fields).toEqual([3, 'trace_id must be 16 bytes']);
    expect(JSON.parse(encodeStatus(14, 'later', 'json') as string)).toEqual({ code: 14, message: 'later' });
  });
});

describe('decompression', () => {
  it('inflates gzip and deflate (zlib or raw)', () => {
    const data = Buffer.from('hello '.repeat(100));
    expect(Buffer.from(decompress(gzipSync(data), 'gzip', 1000))).toEqual(data);
    expect(Buffer.from(decompress(deflateSync(data), 'deflate', 1000))).toEqual(data);
    expect(Buffer.from(decompress(deflateRawSync(data), 'deflate', 1000))).toEqual(data);
  });

  it('stops a gzip bomb at the limit instead of inflating it', () => {
    const bomb = gzipSync(Buffer.alloc(16 * 1024 * 1024));
    expect(bomb.length).toBeLessThan(20_000);
    expect(() => decompress(bomb, 'gzip', 1024 * 1024)).toThrow(expect.objectContaining({ code: 'PAYLOAD_TOO_LARGE' }));
  });

  it('refuses a body that is not what its encoding says', () => {
    expect(() => decompress(Buffer.from('plain text'), 'gzip', 1000)).toThrow(expect.objectContaining({ code: 'INVALID_REQUEST' }));
  });
});
