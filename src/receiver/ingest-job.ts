// Runs on: ingest worker.
import { copyBytes } from '../copy-bytes.js';
import type { SerializedError } from '../errors.js';
import type { RecordHeader } from '../log/types.js';
import { SPLIT_SIGNALS } from '../otlp/classifiers.js';
import { type IngestOutcome, type IngestTask, ingest } from '../otlp/ingest.js';
import { counted } from '../otlp/rejections.js';
import { SIGNAL_HEADER, type TopicKind } from '../otlp/signals.js';
import { ScratchBuffer } from '../scratch-buffer.js';
import { type BatchLimits, type EncodedBatches, encodePartitionBatches, type OversizedRecords } from './batch-encoder.js';

/** A request as the receiver hands it to an ingest worker: the OTLP work plus how to store it. */
export interface IngestJob extends IngestTask, BatchLimits {
  /** Time of receipt (ms since the epoch): every record's timestamp. */
  receivedAt: number;
  /** Tenant of the bearer token, stored as a record header. */
  tenant?: string;
  /** Shared memory to encode the batches into, when they fit (src/receiver/shared-slabs.ts). */
  output?: SharedArrayBuffer;
}

export type IngestJobResult = Omit<EncodedBatches, 'oversized'> & Omit<IngestOutcome, 'request' | 'plan'>;

/** What the ingest worker answers: errors travel as data, since thrown errors lose their code. */
export type IngestJobReply = { ok: true; result: IngestJobResult } | { ok: false; error: SerializedError };

/** Encoded once per worker: every record carries them. */
const CONTENT_TYPE_HEADER: RecordHeader = { key: 'content-type', value: Buffer.from('application/x-protobuf') };
/**
 * The kind of record (traces, metrics, logs or events), so consumers can decode a record, and
 * tell events from logs, whatever its topic is called (src/sinks/signals.ts).
 */
const KIND_HEADERS: Record<TopicKind, RecordHeader> = {
  traces: { key: SIGNAL_HEADER, value: Buffer.from('traces') },
  metrics: { key: SIGNAL_HEADER, value: Buffer.from('metrics') },
  logs: { key: SIGNAL_HEADER, value: Buffer.from('logs') },
  events: { key: SIGNAL_HEADER, value: Buffer.from('events') },
};

/** An uncompressed body in shared memory, read from here on by many small copies. */
const bodyScratch = new ScratchBuffer(128 * 1024);

/** The job with an uncompressed shared body moved to ordinary memory in one bulk copy. */
function readableBody(job: IngestJob): IngestJob {
  const { body } = job;
  if (job.encoding !== 'identity' || !(body.buffer instanceof SharedArrayBuffer)) return job;
  const copy = bodyScratch.take(body.length);
  copyBytes(copy, body);
  return { ...job, body: copy };
}

/** Decompresses, converts and splits the request, then encodes its record batches (in a worker). */
export function runIngestJob(job: IngestJob): IngestJobResult {
  const outcome = ingest(readableBody(job));
  const tenant: RecordHeader[] = job.tenant ? [{ key: 'tenant', value: Buffer.from(job.tenant) }] : [];
  const headers = (kind: TopicKind) => [CONTENT_TYPE_HEADER, KIND_HEADERS[kind], ...tenant];
  const { batches, buffer, oversized } = encodePartitionBatches(outcome, headers, job.receivedAt, job, job.output);
  const { accepted, decodedBytes } = outcome;
  let { rejected, rejectionMessage } = outcome;
  let refused = 0;
  for (const [kind, weight] of Object.entries(oversized.weights) as [TopicKind, number][]) {
    accepted[kind] = (accepted[kind] ?? 0) - weight;
    refused += weight;
  }
  if (refused > 0) {
    rejected += refused;
    const clause = oversizedMessage(refused, SPLIT_SIGNALS[job.signal].countName, oversized, job.maxBatchBytes);
    rejectionMessage = rejectionMessage ? `${rejectionMessage}; ${clause}` : clause;
  }
  return { batches, buffer, accepted, rejected, rejectionMessage, decodedBytes };
}

/** Why items were left out with their record: a record is one trace, or one resource's items of one kind. */
function oversizedMessage(items: number, countName: string, { records, largest }: OversizedRecords, limit: number): string {
  const what = `${counted(items, countName)} rejected`;
  const whose = records === 1 ? `their record of ${largest} bytes is` : `their ${records} records, of up to ${largest} bytes, are`;
  return `${what}: ${whose} over log.max_record_bytes (${limit} bytes)`;
}
