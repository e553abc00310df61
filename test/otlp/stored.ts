import { configSchema } from '../../src/config/schema.js';
import type { RecordHeader } from '../../src/log/types.js';
import { decodeRecordBatches } from '../../src/log/record-batch.js';
import type { IngestTask } from '../../src/otlp/ingest.js';
import type { TopicKind } from '../../src/otlp/signals.js';
import { type IngestJobResult, runIngestJob } from '../../src/receiver/ingest-job.js';

export interface StoredRecord {
  topic: TopicKind;
  partition: number;
  key: string;
  value: Buffer;
  headers: RecordHeader[];
}

export type Stored = Omit<IngestJobResult, 'buffer'> & { records: StoredRecord[] };

const { max_write_amplification: maxWriteAmplification, max_inflight_bytes: maxWriteBytes } = configSchema.parse({}).receiver;

/** Runs the ingest worker's job on a request (with the default limits) and decodes the record batches it would store. */
export function store(task: IngestTask & { tenant?: string }, maxBatchBytes = 1 << 20): Stored {
  const { buffer, ...rest } = runIngestJob({ ...task, receivedAt: Date.now(), maxBatchBytes, maxWriteAmplification, maxWriteBytes });
  const records = rest.batches.flatMap((b) =>
    decodeRecordBatches(Buffer.from(buffer, b.offset, b.length), b.topic, b.partition).map((r) => ({
      topic: b.topic,
      partition: b.partition,
      key: r.key!.toString('latin1'),
      value: r.value!,
      headers: r.headers,
    })),
  );
  return { ...rest, records };
}
