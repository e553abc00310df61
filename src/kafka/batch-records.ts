/**
 * Runs on: main thread.
 *
 * What Produce checks of a batch's records before the log stores it, as Kafka's LogValidator
 * does: a codec Kafka has, no control batch (transaction markers are written by brokers, and the
 * gateway's own readers would take one for records), a base sequence with a producer id, a record
 * count and last offset delta that agree, records with offset deltas 0, 1, 2, … that fill the
 * batch exactly. The broker checks only the CRC-32C, which a
 * client computes over whatever it wrote: a batch claiming records or offsets it does not hold
 * would be stored, and every reader of the partition (pipelines, `tributary tail`, consumers over
 * Kafka) would fail on it. An uncompressed batch's records are walked by their lengths, nothing
 * decoded; a compressed one is inflated once (and stored compressed).
 */
import { TributaryError } from '../errors.js';
import { CODEC_NAMES, COMPRESSION_MASK, codecReadable } from '../log/compression.js';
import { batchProducer } from '../log/batch-producer.js';
import { BATCH_HEADER_SIZE, type BatchHeader, decodeRecordBatches } from '../log/record-batch.js';
import { VarintReader } from '../log/varint.js';

/** The attributes bit of a control batch (transaction markers). */
const CONTROL_BATCH = 0x20;

function invalid(message: string): TributaryError {
  return new TributaryError('INVALID_RECORD', `record batch ${message}`, { details: { problem: 'records' } });
}

/** Throws unless the batch's records are what its header says (see the file's comment). */
export function checkBatchRecords(batch: Buffer, header: BatchHeader): void {
  const codec = header.attributes & COMPRESSION_MASK;
  if (!codecReadable(codec)) {
    throw new TributaryError('UNSUPPORTED_COMPRESSION', `compression codec ${codec} is not one of Kafka's (${CODEC_NAMES.join(', ')})`);
  }
  if (header.attributes & CONTROL_BATCH) throw invalid('is a control batch: clients may not write transaction markers');
  const producer = batchProducer(batch);
  if (producer && producer.firstSeq < 0) throw invalid(`of producer ${producer.producerId} has the base sequence ${producer.firstSeq}`);
  const count = header.recordCount;
  if (count < 1 || header.lastOffsetDelta !== count - 1) throw invalid(`claims ${count} records and a last offset delta of ${header.lastOffsetDelta}`);
  if (codec !== 0) {
    const records = decodeRecordBatches(batch, '', 0);
    if (records.length !== count) throw new TributaryError('CORRUPT_RECORD', `a compressed batch claims ${count} records and holds ${records.length}`);
    const wrong = records.findIndex((r, i) => r.offset !== header.baseOffset + i);
    if (wrong >= 0) throw invalid(`record ${wrong} has offset delta ${records[wrong].offset - header.baseOffset}, not ${wrong}`);
    return;
  }
  const reader = new VarintReader(batch, BATCH_HEADER_SIZE);
  try {
    for (let i = 0; i < count; i++) {
      if (reader.pos >= batch.length) throw invalid(`claims ${count} records and holds ${i}`);
      const length = reader.varint();
      const end = reader.pos + length;
      if (length < 3 || end > batch.length) throw invalid(`record ${i} of ${length} bytes overruns it`);
      reader.pos++; // attributes
      reader.varint(); // timestamp delta
      const delta = reader.varint();
      if (delta !== i) throw invalid(`record ${i} has offset delta ${delta}, not ${i}`);
      reader.pos = end;
    }
  } catch (err) {
    throw err instanceof TributaryError ? err : invalid(`record cannot be read: ${(err as Error).message}`);
  }
  if (reader.pos !== batch.length) throw invalid(`claims ${count} records and holds more`);
}
