import { TributaryError } from '../errors.js';
import { BATCH_HEADER_SIZE, encodeRecordBatch, LOG_OVERHEAD } from '../log/record-batch.js';
import type { ProducerRecord, RecordHeader } from '../log/types.js';
import type { IngestOutcome } from '../otlp/ingest.js';
import type { TopicKind } from '../otlp/signals.js';

/** Upper bound of a record's framing in a batch: length, attributes, deltas, key and value lengths, header count. */
const RECORD_FRAMING = 40;

/** One record batch v2, ready for the log, at `[offset, offset + length)` of the batches' buffer. */
export interface EncodedBatch {
  topic: TopicKind;
  partition: number;
  offset: number;
  length: number;
}

export interface EncodedBatches {
  batches: EncodedBatch[];
  /** Every batch back to back; a fresh ArrayBuffer, so it can be transferred. */
  buffer: ArrayBuffer;
}

interface PendingBatch {
  topic: TopicKind;
  partition: number;
  records: ProducerRecord[];
  /** Upper bound of the encoded size. */
  bytes: number;
}

/**
 * Encodes a request's records as one record batch per partition (split further only where the
 * batch could pass `maxBatchBytes`, the log's batch limit), in the ingest worker, so the main
 * thread only hands the bytes to the log. Every record gets `timestamp`, the time of receipt.
 */
export function encodePartitionBatches(outcome: IngestOutcome, headers: RecordHeader[], timestamp: number, maxBatchBytes: number): EncodedBatches {
  const headerBytes = headers.reduce((n, h) => n + 10 + Buffer.byteLength(h.key) + h.value.length, 0);
  const open = new Map<string, PendingBatch>();
  const pending: PendingBatch[] = [];
  for (const r of outcome.records) {
    const id = `${r.topic}\0${r.partition}`;
    let batch = open.get(id);
    const size = RECORD_FRAMING + r.key.length + r.length + headerBytes;
    if (!batch || batch.bytes + size > maxBatchBytes) {
      batch = { topic: r.topic, partition: r.partition, records: [], bytes: LOG_OVERHEAD + BATCH_HEADER_SIZE };
      open.set(id, batch);
      pending.push(batch);
    }
    batch.records.push({ key: Buffer.from(r.key, 'latin1'), value: new Uint8Array(outcome.buffer, r.offset, r.length), headers, timestamp });
    batch.bytes += size;
  }
  // One allocation for all batches, sized by the upper bounds; each batch is encoded in place.
  const buffer = new ArrayBuffer(pending.reduce((n, b) => n + b.bytes, 0));
  const batches: EncodedBatch[] = [];
  let pos = 0;
  for (const b of pending) {
    const allocate = (size: number) => {
      if (size > b.bytes) throw new TributaryError('INTERNAL', `a batch of ${size} bytes passed its estimate of ${b.bytes}`);
      return Buffer.from(buffer, pos, size);
    };
    const encoded = encodeRecordBatch(b.records, { now: timestamp, allocate });
    batches.push({ topic: b.topic, partition: b.partition, offset: pos, length: encoded.length });
    pos += b.bytes;
  }
  return { batches, buffer };
}
