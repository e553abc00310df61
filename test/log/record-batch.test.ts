import { crc32c } from '@node-rs/crc32';
import { describe, expect, it } from 'vitest';
import {
  assignBatchOffset,
  BATCH_HEADER_SIZE,
  checkBatch,
  decodeRecordBatches,
  encodeRecordBatch,
  readBatchHeader,
} from '../../src/log/record-batch.js';
import { VarintReader, varintSize, writeVarint } from '../../src/log/varint.js';

const T = 1_700_000_000_000;

describe('record batch v2 codec', () => {
  it('computes CRC-32C (Castagnoli): the check value of "123456789" is 0xE3069283', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
  });

  it('round-trips keys, null keys and values, headers and timestamps', () => {
    const records = [
      { key: Buffer.from('trace-1'), value: Buffer.from('first'), timestamp: T + 5 },
      { key: null, value: null, timestamp: T },
      { value: Buffer.alloc(0), headers: [{ key: 'content-type', value: 'application/x-protobuf' }], timestamp: T + 300_000 },
      { key: Buffer.from([0, 255]), value: Buffer.from([1]), headers: [{ key: 'bin', value: Buffer.from([9, 8, 7]) }] },
    ];
    const batch = encodeRecordBatch(records, { baseOffset: 40, leaderEpoch: 3, now: T + 7 });
    expect(checkBatch(batch, 0, 1 << 20)).toBeNull();
    expect(readBatchHeader(batch)).toMatchObject({ baseOffset: 40, leaderEpoch: 3, magic: 2, lastOffsetDelta: 3, recordCount: 4 });
    expect(readBatchHeader(batch)).toMatchObject({ baseTimestamp: T, maxTimestamp: T + 300_000 });
    const decoded = decodeRecordBatches(batch, 'otlp_spans', 2);
    expect(decoded.map((r) => r.offset)).toEqual([40, 41, 42, 43]);
    expect(decoded.map((r) => r.timestamp)).toEqual([T + 5, T, T + 300_000, T + 7]);
    expect(decoded[0]).toMatchObject({ topic: 'otlp_spans', partition: 2, key: Buffer.from('trace-1'), value: Buffer.from('first') });
    expect(decoded[1]).toMatchObject({ key: null, value: null, headers: [] });
    expect(decoded[2].value).toEqual(Buffer.alloc(0));
    expect(decoded[2].headers).toEqual([{ key: 'content-type', value: Buffer.from('application/x-protobuf') }]);
    expect(decoded[3]).toMatchObject({ key: Buffer.from([0, 255]), headers: [{ key: 'bin', value: Buffer.from([9, 8, 7]) }] });
  });

  it('gives each record the headers it was written with when neighbours share or change them, across batches', () => {
    const spans = [{ key: 'otlp-signal', value: 'traces' }];
    const tenant = [...spans, { key: 'tenant', value: 'acme' }];
    const written = [spans, spans, tenant, [], spans, undefined, tenant];
    const first = encodeRecordBatch(written.slice(0, 4).map((headers) => ({ value: Buffer.from('v'), headers })), { baseOffset: 0, now: T });
    const second = encodeRecordBatch(written.slice(4).map((headers) => ({ value: Buffer.from('v'), headers })), { baseOffset: 4, now: T });
    const decoded = decodeRecordBatches(Buffer.concat([first, second]), 'otlp_spans', 0);
    const expected = written.map((headers) => (headers ?? []).map(({ key, value }) => ({ key, value: Buffer.from(value) })));
    expect(decoded.map((r) => r.headers)).toEqual(expected);
    // Records decoded together with equal header bytes share one array, frozen so that no reader can change another's.
    expect(decoded[1].headers).toBe(decoded[0].headers);
    expect(() => decoded[0].headers.push({ key: 'x', value: Buffer.alloc(0) })).toThrow(TypeError);
    expect(decoded[4].headers).not.toBe(decoded[2].headers);
  });

  it('round-trips many records, with values across varint length boundaries', () => {
    const sizes = [0, 1, 63, 64, 127, 128, 8191, 8192, 20_000];
    const records = Array.from({ length: 1000 }, (_, i) => ({
      key: Buffer.from(`k${i}`),
      value: Buffer.alloc(sizes[i % sizes.length], i % 251),
      timestamp: T + i * 1000,
    }));
    const decoded = decodeRecordBatches(encodeRecordBatch(records), 't', 0);
    expect(decoded).toHaveLength(1000);
    for (let i = 0; i < 1000; i += 97) {
      expect(decoded[i]).toMatchObject({ offset: i, timestamp: T + i * 1000, key: records[i].key, value: records[i].value });
    }
  });

  it('writes exactly the bytes of a batch assembled by hand from the spec layout, and decodes them', () => {
    // Two records; the second has no key and one header. Fields per Kafka's "Record Batch" spec.
    const record1 = Buffer.from([
      0x00, // attributes
      0x00, // timestampDelta 0
      0x00, // offsetDelta 0
      0x02, 0x61, // key length 1, "a"
      0x04, 0x68, 0x69, // value length 2, "hi"
      0x00, // no headers
    ]);
    const record2 = Buffer.from([
      0x00, // attributes
      0xd0, 0x0f, // timestampDelta 1000 (zig-zag 2000)
      0x02, // offsetDelta 1
      0x01, // key length -1: null
      0x02, 0x7a, // value length 1, "z"
      0x02, // one header
      0x02, 0x68, 0x02, 0x76, // key "h", value "v"
    ]);
    const records = Buffer.concat([
      Buffer.from([record1.length * 2]),
      record1,
      Buffer.from([record2.length * 2]),
      record2,
    ]);
    const header = Buffer.alloc(BATCH_HEADER_SIZE);
    header.writeBigInt64BE(0n, 0); // baseOffset
    header.writeInt32BE(BATCH_HEADER_SIZE - 12 + records.length, 8); // batchLength
    header.writeInt32BE(-1, 12); // partitionLeaderEpoch
    header.writeInt8(2, 16); // magic
    header.writeInt16BE(0, 21); // attributes
    header.writeInt32BE(1, 23); // lastOffsetDelta
    header.writeBigInt64BE(BigInt(T), 27); // baseTimestamp
    header.writeBigInt64BE(BigInt(T + 1000), 35); // maxTimestamp
    header.writeBigInt64BE(-1n, 43); // producerId
    header.writeInt16BE(-1, 51); // producerEpoch
    header.writeInt32BE(-1, 53); // baseSequence
    header.writeInt32BE(2, 57); // recordCount
    const batch = Buffer.concat([header, records]);
    batch.writeUInt32BE(crc32c(batch.subarray(21)), 17);

    const encoded = encodeRecordBatch([
      { key: Buffer.from('a'), value: Buffer.from('hi'), timestamp: T },
      { key: null, value: Buffer.from('z'), timestamp: T + 1000, headers: [{ key: 'h', value: 'v' }] },
    ]);
    expect(encoded).toEqual(batch);
    // Records are views into the batch: compared as a reader sees them.
    const decoded = decodeRecordBatches(batch, 't', 0).map(({ topic, partition, offset, timestamp, key, value, headers }) => ({ topic, partition, offset, timestamp, key, value, headers }));
    expect(decoded).toEqual([
      { topic: 't', partition: 0, offset: 0, timestamp: T, key: Buffer.from('a'), value: Buffer.from('hi'), headers: [] },
      {
        topic: 't',
        partition: 0,
        offset: 1,
        timestamp: T + 1000,
        key: null,
        value: Buffer.from('z'),
        headers: [{ key: 'h', value: Buffer.from('v') }],
      },
    ]);
  });

  it('checkBatch finds every flipped bit and every truncation', () => {
    const batch = encodeRecordBatch([{ key: Buffer.from('k'), value: Buffer.from('some value'), headers: [{ key: 'x', value: 'y' }] }]);
    // The CRC covers attributes..end; length and magic have their own checks.
    for (let i = 8; i < batch.length; i++) {
      if (i >= 12 && i < 16) continue; // leader epoch: rewritten by the broker, outside the CRC
      for (let bit = 0; bit < 8; bit++) {
        const copy = Buffer.from(batch);
        copy[i] ^= 1 << bit;
        expect(checkBatch(copy, 0, 1 << 20), `byte ${i} bit ${bit}`).not.toBeNull();
      }
    }
    for (let n = 0; n < batch.length; n++) expect(checkBatch(batch.subarray(0, n), 0, 1 << 20)).toBe('truncated');
    expect(checkBatch(batch, 0, 10)).toBe('bad-length');
  });

  it('keeps the CRC valid when the broker assigns offsets and the leader epoch', () => {
    const batch = encodeRecordBatch([{ value: Buffer.from('v') }, { value: Buffer.from('w') }]);
    assignBatchOffset(batch, 1234, 9);
    expect(checkBatch(batch, 0, 1 << 20)).toBeNull();
    expect(decodeRecordBatches(batch, 't', 0).map((r) => r.offset)).toEqual([1234, 1235]);
    expect(readBatchHeader(batch)?.leaderEpoch).toBe(9);
  });

  it('decodes from the middle of a batch, across batches, ignoring a partial trailing batch', () => {
    const values = (from: number, n: number) => Array.from({ length: n }, (_, i) => ({ value: Buffer.from(`v${from + i}`) }));
    const first = encodeRecordBatch(values(0, 5), { baseOffset: 0 });
    const second = encodeRecordBatch(values(5, 5), { baseOffset: 5 });
    const buf = Buffer.concat([first, second, second.subarray(0, 30)]);
    const decoded = decodeRecordBatches(buf, 't', 0, 3);
    expect(decoded.map((r) => r.offset)).toEqual([3, 4, 5, 6, 7, 8, 9]);
    expect(decoded.map((r) => r.value?.toString())).toEqual(['v3', 'v4', 'v5', 'v6', 'v7', 'v8', 'v9']);
    expect(decodeRecordBatches(buf, 't', 0, 7).map((r) => r.offset)).toEqual([7, 8, 9]);
  });

  it('refuses an empty batch, and a batch flagged gzip whose records do not inflate, with typed errors', () => {
    expect(() => encodeRecordBatch([])).toThrow(expect.objectContaining({ code: 'INVALID_RECORD' }));
    const batch = encodeRecordBatch([{ value: Buffer.from('v') }]);
    batch.writeInt16BE(1, 21); // gzip
    expect(() => decodeRecordBatches(batch, 't', 0)).toThrow(expect.objectContaining({ code: 'CORRUPT_RECORD' }));
  });
});

describe('zig-zag varints', () => {
  it('encodes as protobuf sint64 does', () => {
    const cases: [number, number[]][] = [
      [0, [0x00]],
      [-1, [0x01]],
      [1, [0x02]],
      [-64, [0x7f]],
      [64, [0x80, 0x01]],
      [1000, [0xd0, 0x0f]],
      [-8192, [0xff, 0x7f]],
      [8192, [0x80, 0x80, 0x01]],
      [-(2 ** 31), [0xff, 0xff, 0xff, 0xff, 0x0f]],
    ];
    for (const [value, bytes] of cases) {
      const buf = new Uint8Array(10);
      expect(writeVarint(buf, 0, value), String(value)).toBe(bytes.length);
      expect([...buf.subarray(0, bytes.length)], String(value)).toEqual(bytes);
      expect(varintSize(value)).toBe(bytes.length);
      expect(new VarintReader(buf, 0).varint()).toBe(value);
      expect(new VarintReader(buf.subarray(0, bytes.length), 0).varint(), 'at the end of the buffer').toBe(value);
    }
  });

  it('round-trips large values and refuses to read past the buffer', () => {
    for (const value of [2 ** 40 + 3, -(2 ** 45), 2 ** 52 - 1, T]) {
      const buf = new Uint8Array(10);
      const end = writeVarint(buf, 0, value);
      expect(new VarintReader(buf, 0).varint()).toBe(value);
      expect(() => new VarintReader(buf.subarray(0, end - 1), 0).varint()).toThrow(RangeError);
    }
  });
});
