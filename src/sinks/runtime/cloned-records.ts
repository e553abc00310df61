/**
 * Runs on: main thread and sink workers (whichever receives records from the other).
 *
 * Records that crossed between threads as a message: the structured clone turns their Buffers
 * into plain Uint8Arrays, and sinks and consumers expect Buffers; each is viewed as one again,
 * without a copy.
 */
import type { ConsumedRecord } from '../../log/types.js';
import type { SinkBatch } from '../sink.js';

const asBuffer = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

export function clonedRecord(r: ConsumedRecord): ConsumedRecord {
  return {
    ...r,
    key: r.key === null ? null : asBuffer(r.key),
    value: r.value === null ? null : asBuffer(r.value),
    headers: r.headers.map((h) => ({ key: h.key, value: asBuffer(h.value) })),
  };
}

export function clonedBatch(batch: SinkBatch): SinkBatch {
  return { records: batch.records, signals: batch.signals.map((s) => ({ signal: s.signal, records: s.records.map(clonedRecord) })) };
}
