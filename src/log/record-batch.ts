import { crc32c } from '@node-rs/crc32';
import { TributaryError } from '../errors.js';
import type { ConsumedRecord, ProducerRecord, RecordHeader } from './types.js';
import { VarintReader, varintSize, writeVarint } from './varint.js';

/**
 * Kafka's record batch, magic 2 (KIP-98), the unit the log stores and serves as it lies:
 *
 *   baseOffset int64 | batchLength int32 | partitionLeaderEpoch int32 | magic int8 | crc uint32 |
 *   attributes int16 | lastOffsetDelta int32 | baseTimestamp int64 | maxTimestamp int64 |
 *   producerId int64 | producerEpoch int16 | baseSequence int32 | recordCount int32 | records
 *
 * The CRC-32C covers attributes..end, so a broker may rewrite baseOffset and the leader epoch
 * without recomputing it.
 */
export const LOG_OVERHEAD = 12; // baseOffset + batchLength
export const BATCH_HEADER_SIZE = 61;
export const MAGIC = 2;

const OFF_LENGTH = 8;
const OFF_EPOCH = 12;
const OFF_MAGIC = 16;
const OFF_CRC = 17;
const OFF_ATTRIBUTES = 21;
const OFF_LAST_DELTA = 23;
const OFF_BASE_TS = 27;
const OFF_MAX_TS = 35;
const OFF_PRODUCER_ID = 43;
const OFF_PRODUCER_EPOCH = 51;
const OFF_BASE_SEQUENCE = 53;
const OFF_COUNT = 57;

export interface BatchHeader {
  baseOffset: number;
  /** Bytes after the batchLength field; the whole batch is LOG_OVERHEAD + batchLength. */
  batchLength: number;
  leaderEpoch: number;
  magic: number;
  crc: number;
  attributes: number;
  lastOffsetDelta: number;
  baseTimestamp: number;
  maxTimestamp: number;
  recordCount: number;
}

const textEncoder = new TextEncoder();

function headerValueBytes(value: Uint8Array | string): Uint8Array {
  return typeof value === 'string' ? textEncoder.encode(value) : value;
}

/** Encodes records as one batch. Offsets count from `baseOffset`; timestamps default to `now`. */
export function encodeRecordBatch(
  records: readonly ProducerRecord[],
  options: { baseOffset?: number; leaderEpoch?: number; now?: number } = {},
): Buffer {
  if (records.length === 0) throw new TributaryError('INVALID_RECORD', 'a record batch needs at least one record');
  const now = options.now ?? Date.now();
  let baseTimestamp = Number.POSITIVE_INFINITY;
  let maxTimestamp = Number.NEGATIVE_INFINITY;
  for (const r of records) {
    const ts = r.timestamp ?? now;
    if (ts < baseTimestamp) baseTimestamp = ts;
    if (ts > maxTimestamp) maxTimestamp = ts;
  }

  // First pass: sizes, so the batch is written into one allocation.
  const bodySizes = new Array<number>(records.length);
  const headerBytes: (Uint8Array[] | undefined)[] = new Array(records.length);
  let total = BATCH_HEADER_SIZE;
  for (let i = 0; i < records.length; i++) {
    const r = records[i];
    let size = 1 + varintSize((r.timestamp ?? now) - baseTimestamp) + varintSize(i);
    size += r.key ? varintSize(r.key.length) + r.key.length : 1;
    size += r.value ? varintSize(r.value.length) + r.value.length : 1;
    const headers = r.headers ?? [];
    size += varintSize(headers.length);
    if (headers.length > 0) {
      const encoded: Uint8Array[] = [];
      for (const h of headers) {
        const k = textEncoder.encode(h.key);
        const v = headerValueBytes(h.value);
        encoded.push(k, v);
        size += varintSize(k.length) + k.length + varintSize(v.length) + v.length;
      }
      headerBytes[i] = encoded;
    }
    bodySizes[i] = size;
    total += varintSize(size) + size;
  }

  const buf = Buffer.allocUnsafe(total);
  buf.writeBigInt64BE(BigInt(options.baseOffset ?? 0), 0);
  buf.writeInt32BE(total - LOG_OVERHEAD, OFF_LENGTH);
  buf.writeInt32BE(options.leaderEpoch ?? -1, OFF_EPOCH);
  buf.writeInt8(MAGIC, OFF_MAGIC);
  buf.writeInt16BE(0, OFF_ATTRIBUTES); // no compression, CreateTime, not transactional
  buf.writeInt32BE(records.length - 1, OFF_LAST_DELTA);
  buf.writeBigInt64BE(BigInt(baseTimestamp), OFF_BASE_TS);
  buf.writeBigInt64BE(BigInt(maxTimestamp), OFF_MAX_TS);
  buf.writeBigInt64BE(-1n, OFF_PRODUCER_ID);
  buf.writeInt16BE(-1, OFF_PRODUCER_EPOCH);
  buf.writeInt32BE(-1, OFF_BASE_SEQUENCE);
  buf.writeInt32BE(records.length, OFF_COUNT);

  let pos = BATCH_HEADER_SIZE;
  for (let i = 0; i < records.length; i++) {
    const r = records[i];
    pos = writeVarint(buf, pos, bodySizes[i]);
    buf[pos++] = 0; // record attributes, unused
    pos = writeVarint(buf, pos, (r.timestamp ?? now) - baseTimestamp);
    pos = writeVarint(buf, pos, i);
    pos = writeBytesField(buf, pos, r.key ?? null);
    pos = writeBytesField(buf, pos, r.value);
    const encoded = headerBytes[i];
    pos = writeVarint(buf, pos, encoded ? encoded.length / 2 : 0);
    if (encoded) for (const part of encoded) pos = writeBytesField(buf, pos, part);
  }
  buf.writeUInt32BE(crc32c(buf.subarray(OFF_ATTRIBUTES)), OFF_CRC);
  return buf;
}

function writeBytesField(buf: Buffer, pos: number, bytes: Uint8Array | null): number {
  if (bytes === null) return writeVarint(buf, pos, -1);
  pos = writeVarint(buf, pos, bytes.length);
  buf.set(bytes, pos);
  return pos + bytes.length;
}

/** Reads the fixed header of the batch at `pos`; null when fewer than BATCH_HEADER_SIZE bytes remain. */
export function readBatchHeader(buf: Buffer, pos = 0): BatchHeader | null {
  if (buf.length - pos < BATCH_HEADER_SIZE) return null;
  return {
    baseOffset: Number(buf.readBigInt64BE(pos)),
    batchLength: buf.readInt32BE(pos + OFF_LENGTH),
    leaderEpoch: buf.readInt32BE(pos + OFF_EPOCH),
    magic: buf.readInt8(pos + OFF_MAGIC),
    crc: buf.readUInt32BE(pos + OFF_CRC),
    attributes: buf.readInt16BE(pos + OFF_ATTRIBUTES),
    lastOffsetDelta: buf.readInt32BE(pos + OFF_LAST_DELTA),
    baseTimestamp: Number(buf.readBigInt64BE(pos + OFF_BASE_TS)),
    maxTimestamp: Number(buf.readBigInt64BE(pos + OFF_MAX_TS)),
    recordCount: buf.readInt32BE(pos + OFF_COUNT),
  };
}

export type BatchProblem = 'truncated' | 'bad-length' | 'bad-magic' | 'bad-crc';

/**
 * Checks the batch at `pos` of `buf` without decoding its records: complete, a sane length,
 * magic 2, and a matching CRC-32C. Returns the problem, or null for a sound batch.
 */
export function checkBatch(buf: Buffer, pos: number, maxBatchBytes: number): BatchProblem | null {
  const header = readBatchHeader(buf, pos);
  if (!header) return 'truncated';
  if (header.batchLength < BATCH_HEADER_SIZE - LOG_OVERHEAD || header.batchLength > maxBatchBytes) return 'bad-length';
  if (header.magic !== MAGIC) return 'bad-magic';
  const end = pos + LOG_OVERHEAD + header.batchLength;
  if (end > buf.length) return 'truncated';
  return crc32c(buf.subarray(pos + OFF_ATTRIBUTES, end)) === header.crc ? null : 'bad-crc';
}

/** Rewrites the offsets and leader epoch that a broker assigns; the CRC stays valid. */
export function assignBatchOffset(batch: Buffer, baseOffset: number, leaderEpoch: number, pos = 0): void {
  batch.writeBigInt64BE(BigInt(baseOffset), pos);
  batch.writeInt32BE(leaderEpoch, pos + OFF_EPOCH);
}

/**
 * Decodes a run of concatenated batches into records, skipping records before `fromOffset`
 * (a fetch may start in the middle of a batch). A trailing partial batch is ignored.
 */
export function decodeRecordBatches(buf: Buffer, topic: string, partition: number, fromOffset = 0): ConsumedRecord[] {
  const out: ConsumedRecord[] = [];
  let pos = 0;
  while (pos + BATCH_HEADER_SIZE <= buf.length) {
    const h = readBatchHeader(buf, pos)!;
    const end = pos + LOG_OVERHEAD + h.batchLength;
    if (end > buf.length) break;
    if ((h.attributes & 0x07) !== 0) {
      throw new TributaryError('CORRUPT_RECORD', `batch at offset ${h.baseOffset} is compressed, which is not supported`);
    }
    if (h.baseOffset + h.lastOffsetDelta >= fromOffset) decodeRecords(buf, pos, end, h, topic, partition, fromOffset, out);
    pos = end;
  }
  return out;
}

function decodeRecords(
  buf: Buffer,
  start: number,
  end: number,
  h: BatchHeader,
  topic: string,
  partition: number,
  fromOffset: number,
  out: ConsumedRecord[],
): void {
  const reader = new VarintReader(buf, start + BATCH_HEADER_SIZE);
  for (let i = 0; i < h.recordCount; i++) {
    const length = reader.varint();
    const recordEnd = reader.pos + length;
    if (recordEnd > end) throw new TributaryError('CORRUPT_RECORD', `record ${i} of batch ${h.baseOffset} overruns it`);
    reader.pos++; // attributes
    const timestamp = h.baseTimestamp + reader.varint();
    const offset = h.baseOffset + reader.varint();
    if (offset < fromOffset) {
      reader.pos = recordEnd;
      continue;
    }
    const key = readBytesField(reader);
    const value = readBytesField(reader);
    const headerCount = reader.varint();
    const headers: RecordHeader[] = [];
    for (let j = 0; j < headerCount; j++) {
      const k = readBytesField(reader);
      const v = readBytesField(reader);
      headers.push({ key: k ? k.toString('utf8') : '', value: v ?? Buffer.alloc(0) });
    }
    reader.pos = recordEnd;
    out.push({ topic, partition, offset, timestamp, key, value, headers });
  }
}

function readBytesField(reader: VarintReader): Buffer | null {
  const length = reader.varint();
  if (length < 0) return null;
  const buf = reader.buf as Buffer;
  const start = reader.pos;
  reader.pos += length;
  if (reader.pos > buf.length) throw new TributaryError('CORRUPT_RECORD', 'record field overruns its batch');
  return buf.subarray(start, reader.pos);
}
