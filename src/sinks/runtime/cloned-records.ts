/**
 * Runs on: main thread and sink workers (whichever receives records from the other).
 *
 * Records that crossed between threads as a message: the structured clone keeps a RecordView's
 * own fields but not its class, and turns its Buffers into plain Uint8Arrays; each record is made
 * a RecordView again over the same bytes, without a copy.
 */
import { RecordView } from '../../log/record-view.js';
import type { ConsumedRecord } from '../../log/types.js';
import type { SinkBatch } from '../sink.js';

const asBuffer = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

export function clonedRecord(r: ConsumedRecord): ConsumedRecord {
  return new RecordView(
    r.topic,
    r.partition,
    r.offset,
    r.timestamp,
    r.headers.map((h) => ({ key: h.key, value: asBuffer(h.value) })),
    asBuffer(r.keyBytes),
    r.keyStart,
    r.keySize,
    asBuffer(r.valueBytes),
    r.valueStart,
    r.valueSize,
  );
}

export function clonedBatch(batch: SinkBatch): SinkBatch {
  return { records: batch.records, signals: batch.signals.map((s) => ({ signal: s.signal, records: s.records.map(clonedRecord) })) };
}
