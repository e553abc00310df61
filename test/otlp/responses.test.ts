import { deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import { ProtobufLogsSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { describe, expect, it } from 'vitest';
import { crc32c } from '@node-rs/crc32';
import { compressFrameSync } from 'lz4-napi';
import { compressSync as snappyCompressSync } from 'snappy';
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

  /** Snappy's framing format: the stream identifier, then one chunk per piece (compressed, with its masked CRC-32C). */
  function snappyFramed(pieces: Buffer[], crcOf: (data: Buffer) => number = maskedCrc): Buffer {
    const chunks = pieces.map((piece) => {
      const block = snappyCompressSync(piece);
      const header = Buffer.alloc(8);
      header.writeUIntLE(block.length + 4, 1, 3);
      header.writeUInt32LE(crcOf(piece), 4);
      return Buffer.concat([header, block]);
    });
    return Buffer.concat([Buffer.from('ff060000734e61507059', 'hex'), ...chunks]);
  }
  const maskedCrc = (data: Buffer) => {
    const crc = crc32c(data);
    return (((crc >>> 15) | (crc << 17)) + 0xa282ead8) >>> 0;
  };

  it('inflates snappy (framed or one block) and LZ4 frames; past the limit PAYLOAD_TOO_LARGE, a bad chunk INVALID_REQUEST naming it', () => {
    const piece = Buffer.alloc(65536, 7);
    expect(Buffer.from(decompress(snappyFramed([piece, piece, Buffer.from('end')]), 'snappy', 200_000))).toEqual(Buffer.concat([piece, piece, Buffer.from('end')]));
    expect(Buffer.from(decompress(snappyCompressSync(piece), 'snappy', 65536))).toEqual(piece);
    expect(Buffer.from(decompress(compressFrameSync(piece), 'lz4', 65536))).toEqual(piece);
    // 4 MiB from a twentieth of it: refused once the chunks inflated pass the limit.
    const bomb = snappyFramed(Array.from({ length: 64 }, () => piece));
    expect(bomb.length).toBeLessThan(64 * piece.length / 20);
    expect(() => decompress(bomb, 'snappy', 1024 * 1024)).toThrow(expect.objectContaining({ code: 'PAYLOAD_TOO_LARGE' }));
    expect(() => decompress(snappyCompressSync(piece), 'snappy', 1000)).toThrow(expect.objectContaining({ code: 'PAYLOAD_TOO_LARGE' }));
    expect(() => decompress(compressFrameSync(piece), 'lz4', 1000)).toThrow(expect.objectContaining({ code: 'PAYLOAD_TOO_LARGE' }));
    expect(() => decompress(snappyFramed([piece], () => 1), 'snappy', 200_000)).toThrow(expect.objectContaining({ code: 'INVALID_REQUEST', message: expect.stringMatching(/CRC-32C/) }));
    expect(() => decompress(snappyFramed([piece]).subarray(0, 30), 'snappy', 200_000)).toThrow(expect.objectContaining({ code: 'INVALID_REQUEST' }));
    expect(() => decompress(Buffer.from('plain text'), 'lz4', 1000)).toThrow(expect.objectContaining({ code: 'INVALID_REQUEST' }));
  });
});
