import type { LogBackend } from '../log/backend.js';
import { BATCH_HEADER_SIZE, LOG_OVERHEAD } from '../log/record-batch.js';
import type { ProducerRecord } from '../log/types.js';
import type { IngestOutcome } from '../otlp/ingest.js';
import type { SignalTopics } from '../otlp/signals.js';

/** Upper bound of a record's framing in a batch: length, attributes, deltas, key and value lengths, header count. */
const RECORD_FRAMING = 40;

interface PendingBatch {
  topic: string;
  partition: number;
  records: ProducerRecord[];
  bytes: number;
}

/**
 * Writes a request's records to the log: one batch per partition (split further only where the
 * encoded batch could pass `maxBatchBytes`, the log's batch limit), all batches in parallel.
 * Resolves once every batch is in the log, so the caller may answer 200.
 */
export async function produceRecords(
  backend: LogBackend,
  topics: SignalTopics,
  outcome: IngestOutcome,
  headers: ProducerRecord['headers'],
  timestamp: number,
  maxBatchBytes: number,
): Promise<void> {
  const headerBytes = (headers ?? []).reduce((n, h) => n + 10 + Buffer.byteLength(h.key) + Buffer.byteLength(h.value), 0);
  const open = new Map<string, PendingBatch>();
  const batches: PendingBatch[] = [];
  for (const r of outcome.records) {
    const topic = topics[r.topic];
    const id = `${topic}\0${r.partition}`;
    let batch = open.get(id);
    const size = RECORD_FRAMING + r.key.length + r.length + headerBytes;
    if (!batch || batch.bytes + size > maxBatchBytes) {
      batch = { topic, partition: r.partition, records: [], bytes: LOG_OVERHEAD + BATCH_HEADER_SIZE };
      open.set(id, batch);
      batches.push(batch);
    }
    batch.records.push({ key: Buffer.from(r.key, 'latin1'), value: new Uint8Array(outcome.buffer, r.offset, r.length), headers, timestamp });
    batch.bytes += size;
  }
  await Promise.all(batches.map((b) => backend.produce(b.topic, b.partition, b.records)));
}
