/** Runs on: any thread (ingest workers encode, brokers check, readers decode). */
import { crc32c } from '@node-rs/crc32';
import { TributaryError } from '../errors.js';
import { COMPRESSION_MASK, decompressRecords } from './compression.js';
import { RecordView } from './record-view.js';
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
export const OFF_LAST_DELTA = 23;
const OFF_BASE_TS = 27;
const OFF_MAX_TS = 35;
export const OFF_PRODUCER_ID = 43;
export const OFF_PRODUCER_EPOCH = 51;
export const OFF_BASE_SEQUENCE = 53;
export const OFF_COUNT = 57;

/** Where the batch at `pos` of `buf` ends: its batchLength counts the bytes after that field. */
export function batchEnd(buf: Buffer, pos: number): number {
  return pos + LOG_OVERHEAD + buf.readInt32BE(pos + OFF_LENGTH);
}

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

/**
 * Header keys (and string values) repeat from record to record: their UTF-8 bytes are kept here
 * instead of being encoded again. Bounded, so unique strings cannot make it grow without end.
 */
const utf8Cache = new Map<string, Buffer>();
const UTF8_CACHE_ENTRIES = 512;
const UTF8_CACHE_MAX_CHARS = 128;

function utf8(text: string): Buffer {
  let bytes = utf8Cache.get(text);
  if (bytes !== undefined) return bytes;
  bytes = Buffer.from(text, 'utf8');
  if (text.length <= UTF8_CACHE_MAX_CHARS) {
    if (utf8Cache.size >= UTF8_CACHE_ENTRIES) utf8Cache.clear();
    utf8Cache.set(text, bytes);
  }
  return bytes;
}

/**
 * A header whose value is null (Kafka's headers may have one) is decoded with this value: an
 * empty buffer to every reader, which the encoder writes back as null. A batch the gateway
 * re-encodes (the Kafka listener's tenant headers, dead letters) keeps the null a client sent, so
 * a consumer over Kafka still tells it from an empty value.
 */
const NULL_HEADER_VALUE: Buffer = Object.freeze(Buffer.alloc(0)) as Buffer;

function headerValueBytes(value: Uint8Array | string): Uint8Array | null {
  if (value === NULL_HEADER_VALUE) return null;
  return typeof value === 'string' ? utf8(value) : value;
}

/** Scratch space of the encoder, reused by every call (encoding is synchronous). */
let recordSizes = new Int32Array(1024);
const headerParts: (Uint8Array | null)[] = [];

export interface EncodeOptions {
  baseOffset?: number;
  leaderEpoch?: number;
  now?: number;
  /** Where the batch is written: `size` bytes the caller owns (a shared ring slice, say). */
  allocate?: (size: number) => Buffer;
}

/** Encodes records as one batch. Offsets count from `baseOffset`; timestamps default to `now`. */
export function encodeRecordBatch(records: readonly ProducerRecord[], options: EncodeOptions = {}): Buffer {
  const count = records.length;
  if (count === 0) throw new TributaryError('INVALID_RECORD', 'a record batch needs at least one record');
  const now = options.now ?? Date.now();
  let baseTimestamp = Number.POSITIVE_INFINITY;
  let maxTimestamp = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < count; i++) {
    const ts = records[i].timestamp ?? now;
    if (ts < baseTimestamp) baseTimestamp = ts;
    if (ts > maxTimestamp) maxTimestamp = ts;
  }

  // Sizes first, so the batch is written into one allocation; header bytes are gathered in order.
  if (recordSizes.length < count) recordSizes = new Int32Array(count);
  const sizes = recordSizes;
  headerParts.length = 0;
  let total = BATCH_HEADER_SIZE;
  for (let i = 0; i < count; i++) {
    const r = records[i];
    const headers = r.headers;
    let headersSize = 1;
    if (headers !== undefined && headers.length > 0) {
      headersSize = varintSize(headers.length);
      for (let j = 0; j < headers.length; j++) {
        const { key, value } = headers[j];
        const k = utf8(key);
        const v = headerValueBytes(value);
        headerParts.push(k, v);
        headersSize += bytesFieldSize(k) + bytesFieldSize(v);
      }
    }
    const size = recordSize((r.timestamp ?? now) - baseTimestamp, i, bytesFieldSize(r.key), bytesFieldSize(r.value), headersSize);
    sizes[i] = size;
    total += varintSize(size) + size;
  }

  const buf = options.allocate ? options.allocate(total) : Buffer.allocUnsafe(total);
  writeBatchHeader(buf, 0, total, count, baseTimestamp, maxTimestamp, options.baseOffset, options.leaderEpoch);
  let pos = BATCH_HEADER_SIZE;
  let part = 0;
  for (let i = 0; i < count; i++) {
    const r = records[i];
    pos = writeRecordStart(buf, pos, sizes[i], (r.timestamp ?? now) - baseTimestamp, i);
    pos = writeBytesField(buf, pos, r.key);
    pos = writeBytesField(buf, pos, r.value);
    const headerCount = r.headers?.length ?? 0;
    pos = writeVarint(buf, pos, headerCount);
    for (let j = 0; j < 2 * headerCount; j++) pos = writeBytesField(buf, pos, headerParts[part++]);
  }
  headerParts.length = 0;
  sealBatch(buf, 0, total);
  return buf;
}

/**
 * Size of a record after its length prefix, from the sizes of its key and value fields (length
 * prefix included) and of its headers (count included).
 */
export function recordSize(timestampDelta: number, offsetDelta: number, keyFieldSize: number, valueFieldSize: number, headersSize: number): number {
  return 1 + varintSize(timestampDelta) + varintSize(offsetDelta) + keyFieldSize + valueFieldSize + headersSize;
}

/** Writes a record's length prefix, attributes and deltas; the key field comes next, at the position returned. */
export function writeRecordStart(buf: Uint8Array, pos: number, size: number, timestampDelta: number, offsetDelta: number): number {
  pos = writeVarint(buf, pos, size);
  buf[pos++] = 0; // record attributes, unused
  pos = writeVarint(buf, pos, timestampDelta);
  return writeVarint(buf, pos, offsetDelta);
}

/** Writes the fixed header of a batch of `length` bytes (LOG_OVERHEAD included) at `pos`, CRC aside: see `sealBatch`. */
export function writeBatchHeader(
  buf: Buffer,
  pos: number,
  length: number,
  count: number,
  baseTimestamp: number,
  maxTimestamp: number,
  baseOffset = 0,
  leaderEpoch = -1,
): void {
  writeInt64(buf, pos, baseOffset);
  buf.writeInt32BE(length - LOG_OVERHEAD, pos + OFF_LENGTH);
  buf.writeInt32BE(leaderEpoch, pos + OFF_EPOCH);
  buf[pos + OFF_MAGIC] = MAGIC;
  buf.writeInt16BE(0, pos + OFF_ATTRIBUTES); // no compression, CreateTime, not transactional
  buf.writeInt32BE(count - 1, pos + OFF_LAST_DELTA);
  writeInt64(buf, pos + OFF_BASE_TS, baseTimestamp);
  writeInt64(buf, pos + OFF_MAX_TS, maxTimestamp);
  writeInt64(buf, pos + OFF_PRODUCER_ID, -1);
  buf.writeInt16BE(-1, pos + OFF_PRODUCER_EPOCH);
  buf.writeInt32BE(-1, pos + OFF_BASE_SEQUENCE);
  buf.writeInt32BE(count, pos + OFF_COUNT);
}

/** Sets a batch's max timestamp; the CRC-32C covers it, so the batch is sealed again after. */
export function setMaxTimestamp(batch: Buffer, maxTimestamp: number): void {
  writeInt64(batch, OFF_MAX_TS, maxTimestamp);
  sealBatch(batch, 0, batch.length);
}

/** Writes the CRC-32C of the batch in `buf[start, end)`, once its records are in. */
export function sealBatch(buf: Buffer, start: number, end: number): void {
  buf.writeUInt32BE(crc32c(buf.subarray(start + OFF_ATTRIBUTES, end)), start + OFF_CRC);
}

/** The headers every record of a batch shares, encoded once: count, then each key and value field. */
export function encodeHeaders(headers: readonly RecordHeader[]): Buffer {
  const parts = headers.flatMap(({ key, value }) => [utf8(key), headerValueBytes(value)]);
  const out = Buffer.allocUnsafe(varintSize(headers.length) + parts.reduce((n, p) => n + bytesFieldSize(p), 0));
  let pos = writeVarint(out, 0, headers.length);
  for (const p of parts) pos = writeBytesField(out, pos, p);
  return out;
}

function bytesFieldSize(bytes: Uint8Array | null | undefined): number {
  return bytes ? varintSize(bytes.length) + bytes.length : 1;
}

function writeBytesField(buf: Uint8Array, pos: number, bytes: Uint8Array | null | undefined): number {
  if (!bytes) {
    buf[pos] = 1; // zig-zag -1: null
    return pos + 1;
  }
  pos = writeVarint(buf, pos, bytes.length);
  buf.set(bytes, pos);
  return pos + bytes.length;
}

/** int64 as two 32-bit halves, without a BigInt; exact for safe integers. */
function writeInt64(buf: Buffer, pos: number, value: number): void {
  const high = Math.floor(value / 0x100000000);
  buf.writeInt32BE(high, pos);
  buf.writeUInt32BE(value - high * 0x100000000, pos + 4);
}

function readInt64(buf: Buffer, pos: number): number {
  return buf.readInt32BE(pos) * 0x100000000 + buf.readUInt32BE(pos + 4);
}

/** Reads the fixed header of the batch at `pos`; null when fewer than BATCH_HEADER_SIZE bytes remain. */
export function readBatchHeader(buf: Buffer, pos = 0): BatchHeader | null {
  if (buf.length - pos < BATCH_HEADER_SIZE) return null;
  return {
    baseOffset: readInt64(buf, pos),
    batchLength: buf.readInt32BE(pos + OFF_LENGTH),
    leaderEpoch: buf.readInt32BE(pos + OFF_EPOCH),
    magic: buf.readInt8(pos + OFF_MAGIC),
    crc: buf.readUInt32BE(pos + OFF_CRC),
    attributes: buf.readInt16BE(pos + OFF_ATTRIBUTES),
    lastOffsetDelta: buf.readInt32BE(pos + OFF_LAST_DELTA),
    baseTimestamp: readInt64(buf, pos + OFF_BASE_TS),
    maxTimestamp: readInt64(buf, pos + OFF_MAX_TS),
    recordCount: buf.readInt32BE(pos + OFF_COUNT),
  };
}

export type BatchProblem = 'truncated' | 'bad-length' | 'bad-magic' | 'bad-crc';

/**
 * Checks the batch at `pos` of `buf` without decoding its records: complete, a sane length,
 * magic 2, and a matching CRC-32C (unless `verifyCrc` is false). Returns the problem, or null
 * for a sound batch.
 */
export function checkBatch(buf: Buffer, pos: number, maxBatchBytes: number, verifyCrc = true): BatchProblem | null {
  const header = readBatchHeader(buf, pos);
  if (!header) return 'truncated';
  if (header.batchLength < BATCH_HEADER_SIZE - LOG_OVERHEAD || header.batchLength > maxBatchBytes) return 'bad-length';
  if (header.magic !== MAGIC) return 'bad-magic';
  const end = pos + LOG_OVERHEAD + header.batchLength;
  if (end > buf.length) return 'truncated';
  if (!verifyCrc) return null;
  return crc32c(buf.subarray(pos + OFF_ATTRIBUTES, end)) === header.crc ? null : 'bad-crc';
}

/** Rewrites the offsets and leader epoch that a broker assigns; the CRC stays valid. */
export function assignBatchOffset(batch: Buffer, baseOffset: number, leaderEpoch: number, pos = 0): void {
  writeInt64(batch, pos, baseOffset);
  batch.writeInt32BE(leaderEpoch, pos + OFF_EPOCH);
}

const NO_HEADERS: readonly RecordHeader[] = Object.freeze([]);

/**
 * The headers of the record decoded last: records of one request carry the same header bytes
 * (content type, signal, tenant), so a record whose header bytes equal its predecessor's gets
 * the same frozen array instead of objects, strings and buffers of its own.
 */
interface LastHeaders {
  buf: Buffer;
  start: number;
  end: number;
  headers: readonly RecordHeader[];
}

/**
 * Decodes a run of concatenated batches into records, skipping records before `fromOffset`
 * (a fetch may start in the middle of a batch). A trailing partial batch is ignored. Batches
 * that Kafka producers compressed are inflated first (src/log/compression.ts). Records with
 * equal header bytes share one frozen `headers` array. Each record is a RecordView into `buf` (or
 * the inflated bytes): no key or value Buffer is made unless one is read.
 */
export function decodeRecordBatches(buf: Buffer, topic: string, partition: number, fromOffset = 0): ConsumedRecord[] {
  const out: ConsumedRecord[] = [];
  const last: LastHeaders = { buf, start: 0, end: 0, headers: NO_HEADERS };
  let pos = 0;
  while (pos + BATCH_HEADER_SIZE <= buf.length) {
    const h = readBatchHeader(buf, pos)!;
    const end = pos + LOG_OVERHEAD + h.batchLength;
    if (end > buf.length) break;
    if (h.baseOffset + h.lastOffsetDelta >= fromOffset) {
      const codec = h.attributes & COMPRESSION_MASK;
      if (codec === 0) decodeRecords(buf, pos + BATCH_HEADER_SIZE, end, h, topic, partition, fromOffset, out, last);
      else {
        const records = decompressRecords(codec, buf.subarray(pos + BATCH_HEADER_SIZE, end));
        decodeRecords(records, 0, records.length, h, topic, partition, fromOffset, out, last);
      }
    }
    pos = end;
  }
  return out;
}

/** Decodes the batch's records from `buf[start, end)`: its records section, inflated when it was compressed. */
function decodeRecords(
  buf: Buffer,
  start: number,
  end: number,
  h: BatchHeader,
  topic: string,
  partition: number,
  fromOffset: number,
  out: ConsumedRecord[],
  last: LastHeaders,
): void {
  const reader = new VarintReader(buf, start);
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
    const keySize = reader.varint();
    const keyStart = reader.pos;
    if (keySize > 0) reader.pos += keySize;
    const valueSize = reader.varint();
    const valueStart = reader.pos;
    if (valueSize > 0) reader.pos += valueSize;
    if (reader.pos > recordEnd) throw new TributaryError('CORRUPT_RECORD', `record ${i} of batch ${h.baseOffset}: a field overruns the record`);
    const headersStart = reader.pos;
    if (!sameBytes(buf, headersStart, recordEnd, last)) {
      last.headers = readHeaders(reader);
      last.buf = buf;
      last.start = headersStart;
      last.end = recordEnd;
    }
    reader.pos = recordEnd;
    // The interface's array is mutable; shared arrays are frozen, so a change throws instead of leaking.
    out.push(new RecordView(topic, partition, offset, timestamp, last.headers as RecordHeader[], buf, keyStart, keySize < 0 ? -1 : keySize, buf, valueStart, valueSize < 0 ? -1 : valueSize));
  }
}

function readHeaders(reader: VarintReader): readonly RecordHeader[] {
  const headerCount = reader.varint();
  if (headerCount <= 0) return NO_HEADERS;
  const headers: RecordHeader[] = [];
  for (let j = 0; j < headerCount; j++) {
    const k = readBytesField(reader);
    const v = readBytesField(reader);
    headers.push(Object.freeze({ key: k ? k.toString('utf8') : '', value: v ?? NULL_HEADER_VALUE }));
  }
  return Object.freeze(headers);
}

/** Whether `buf[start, end)` holds the same bytes as the last record's headers. */
function sameBytes(buf: Buffer, start: number, end: number, last: LastHeaders): boolean {
  const length = end - start;
  if (length !== last.end - last.start) return false;
  const other = last.buf;
  const offset = last.start - start;
  for (let p = start; p < end; p++) if (buf[p] !== other[p + offset]) return false;
  return true;
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
