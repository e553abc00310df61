import type { LogBackend } from '../log/backend.js';
import type { ProducerRecord } from '../log/types.js';
import type { IngestOutcome } from '../otlp/ingest.js';
import type { SignalTopics } from '../otlp/signals.js';

interface PendingBatch {
  topic: string;
  partition: number;
  records: ProducerRecord[];
  bytes: number;
}

/**
 * Writes a request's records to the log: one batch per partition (split further only past
 * `maxBatchBytes`, to stay under the log's batch limit), all batches in parallel. Resolves once
 * every batch is in the log, so the caller may answer 200.
 */
export async function produceRecords(
  backend: LogBackend,
  topics: SignalTopics,
  outcome: IngestOutcome,
  headers: ProducerRecord['headers'],
  timestamp: number,
  maxBatchBytes: number,
): Promise<void> {
  const open = new Map<string, PendingBatch>();
  const batches: PendingBatch[] = [];
  for (const r of outcome.records) {
    const topic = topics[r.topic];
    const id = `${topic}\0${r.partition}`;
    let batch = open.get(id);
    if (!batch || (batch.bytes + r.length > maxBatchBytes && batch.records.length > 0)) {
      batch = { topic, partition: r.partition, records: [], bytes: 0 };
      open.set(id, batch);
      batches.push(batch);
    }
    batch.records.push({ key: Buffer.from(r.key, 'latin1'), value: new Uint8Array(outcome.buffer, r.offset, r.length), headers, timestamp });
    batch.bytes += r.length + r.key.length;
  }
  await Promise.all(batches.map((b) => backend.produce(b.topic, b.partition, b.records)));
}
