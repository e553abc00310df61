/**
 * Runs on: main thread.
 *
 * What Produce checks of a batch's records before the log stores it, as Kafka's LogValidator
 * does: a codec Kafka has, no control batch (transaction markers are written by brokers, and the
 * gateway's own readers would take one for records), a base sequence with a producer id, a record
 * count and last offset delta that agree, records with offset deltas 0, 1, 2, … whose fields fill
 * each record and which fill the batch exactly. The broker checks only the CRC-32C, which a
 * client computes over whatever it wrote: a batch claiming records or offsets it does not hold
 * would be stored, and every reader of the partition (pipelines, `tributary tail`, consumers over
 * Kafka) would fail on it. An uncompressed batch's records are walked field by field, nothing
 * decoded; a compressed one is inflated and decoded once (and stored compressed). On the way it
 * notes whether a record carries a `tenant` header, which only the gateway may set, and the
 * records' largest timestamp, which Produce holds to the gateway's clock (record-timestamps.ts).
 */
import { TributaryError } from '../errors.js';
import { CODEC_NAMES, COMPRESSION_MASK, codecReadable } from '../log/compression.js';
import { batchProducer } from '../log/batch-producer.js';
import { BATCH_HEADER_SIZE, type BatchHeader, checkBatch, decodeRecordBatches } from '../log/record-batch.js';
import type { ConsumedRecord } from '../log/types.js';
import { VarintReader } from '../log/varint.js';
import { TENANT_HEADER } from '../otlp/signals.js';

const TENANT_KEY = Buffer.from(TENANT_HEADER);

/** What the check saw of the records, beside their being whole. */
export interface BatchRecords {
  /** Whether a record has a `tenant` header. */
  tenantHeader: boolean;
  /** The largest timestamp of the records (not the header's claim), and the index of the record holding it. */
  maxTimestamp: number;
  maxTimestampRecord: number;
}

/** The attributes bit of a control batch (transaction markers). */
const CONTROL_BATCH = 0x20;

/** Throws unless the batch's records are what its header says (see the file's comment). */
export function checkBatchRecords(batch: Buffer, header: BatchHeader): BatchRecords {
  const codec = header.attributes & COMPRESSION_MASK;
  if (!codecReadable(codec)) {
    throw new TributaryError('UNSUPPORTED_COMPRESSION', `compression codec ${codec} is not one of Kafka's (${CODEC_NAMES.join(', ')})`);
  }
  const seen: BatchRecords = { tenantHeader: false, maxTimestamp: Number.NEGATIVE_INFINITY, maxTimestampRecord: -1 };
  const problem = headerProblem(batch, header) ?? (codec === 0 ? walkRecords(batch, header, seen) : compressedProblem(batch, header, seen));
  if (problem === undefined) return seen;
  // A batch damaged on the way is CORRUPT_MESSAGE (which clients retry), as the broker would say.
  const damaged = checkBatch(batch, 0, batch.length, true) === 'bad-crc';
  throw new TributaryError('INVALID_RECORD', damaged ? 'record batch CRC-32C mismatch' : `record batch ${problem}`, { details: { problem: damaged ? 'bad-crc' : 'records' } });
}

function headerProblem(batch: Buffer, header: BatchHeader): string | undefined {
  if (header.attributes & CONTROL_BATCH) return 'is a control batch: clients may not write transaction markers';
  const producer = batchProducer(batch);
  if (producer && producer.firstSeq < 0) return `of producer ${producer.producerId} has the base sequence ${producer.firstSeq}`;
  const count = header.recordCount;
  if (count < 1 || header.lastOffsetDelta !== count - 1) return `claims ${count} records and a last offset delta of ${header.lastOffsetDelta}`;
  return undefined;
}

/** A compressed batch is inflated and decoded: records that cannot be read throw CORRUPT_RECORD. */
function compressedProblem(batch: Buffer, header: BatchHeader, seen: BatchRecords): string | undefined {
  let records: ConsumedRecord[];
  try {
    records = decodeRecordBatches(batch, '', 0);
  } catch (err) {
    if (err instanceof TributaryError) throw err;
    throw new TributaryError('CORRUPT_RECORD', `a compressed batch's records cannot be read: ${(err as Error).message}`, { cause: err });
  }
  if (records.length !== header.recordCount) throw new TributaryError('CORRUPT_RECORD', `a compressed batch claims ${header.recordCount} records and holds ${records.length}`);
  seen.tenantHeader = records.some((r) => r.headers.some((h) => h.key === TENANT_HEADER));
  for (let i = 0; i < records.length; i++) noteTimestamp(seen, records[i].timestamp, i);
  const wrong = records.findIndex((r, i) => r.offset !== header.baseOffset + i);
  return wrong < 0 ? undefined : `record ${wrong} has offset delta ${records[wrong].offset - header.baseOffset}, not ${wrong}`;
}

/** What is wrong with the records of an uncompressed batch, or undefined. */
function walkRecords(batch: Buffer, header: BatchHeader, seen: BatchRecords): string | undefined {
  const count = header.recordCount;
  const reader = new VarintReader(batch, BATCH_HEADER_SIZE);
  try {
    for (let i = 0; i < count; i++) {
      if (reader.pos >= batch.length) return `claims ${count} records and holds ${i}`;
      const length = reader.varint();
      const end = reader.pos + length;
      if (length < 0 || end > batch.length) return `record ${i} of ${length} bytes overruns it`;
      const problem = walkRecord(reader, end, i, header.baseTimestamp, seen);
      if (problem) return problem;
    }
  } catch (err) {
    return `record cannot be read: ${(err as Error).message}`;
  }
  return reader.pos === batch.length ? undefined : `claims ${count} records and holds more`;
}

function noteTimestamp(seen: BatchRecords, timestamp: number, index: number): void {
  if (timestamp > seen.maxTimestamp) {
    seen.maxTimestamp = timestamp;
    seen.maxTimestampRecord = index;
  }
}

function isTenantKey(buf: Uint8Array, pos: number): boolean {
  for (let i = 0; i < TENANT_KEY.length; i++) if (buf[pos + i] !== TENANT_KEY[i]) return false;
  return true;
}

/**
 * Steps over one record's fields, which must end exactly at `end` (as Kafka's DefaultRecord
 * reads it): attributes, timestamp delta, offset delta (`index`), key, value and headers, each
 * length checked before it is stepped over. Returns what is wrong, or undefined.
 */
function walkRecord(reader: VarintReader, end: number, index: number, baseTimestamp: number, seen: BatchRecords): string | undefined {
  reader.pos++; // attributes
  noteTimestamp(seen, baseTimestamp + reader.varint(), index);
  const delta = reader.varint();
  if (delta !== index) return `record ${index} has offset delta ${delta}, not ${index}`;
  const key = reader.varint();
  if (key > 0) reader.pos += key;
  if (key < -1 || reader.pos > end) return `record ${index}: its key overruns it`;
  const value = reader.varint();
  if (value > 0) reader.pos += value;
  if (value < -1 || reader.pos > end) return `record ${index}: its value overruns it`;
  const headers = reader.varint();
  if (headers < 0) return `record ${index}: ${headers} headers`;
  for (let h = 0; h < headers; h++) {
    // Each header takes two bytes at least: a count past the record stops here.
    if (reader.pos >= end) return `record ${index}: its ${headers} headers overrun it`;
    const hk = reader.varint();
    if (hk === TENANT_KEY.length && reader.pos + hk <= end && isTenantKey(reader.buf, reader.pos)) seen.tenantHeader = true;
    if (hk > 0) reader.pos += hk;
    const hv = reader.varint();
    if (hv > 0) reader.pos += hv;
    if (hk < 0 || hv < -1) return `record ${index}: a header length of ${hk < 0 ? hk : hv}`;
  }
  return reader.pos === end ? undefined : `record ${index}: its fields do not fill it`;
}
