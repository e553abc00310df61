// Runs on: ingest worker.
import { bufferOf } from '../buffer-of.js';
import { SPLIT_SIGNALS } from './classifiers.js';
import { type ContentEncoding, decompress } from './decompress.js';
import { checkJsonCost } from './json-cost.js';
import { jsonToProto, parseOtlpJson } from './json-to-proto.js';
import { partitionForHexKey } from './partitioner.js';
import type { WireFormat } from './responses.js';
import { REQUEST_MESSAGE, type Signal, type TopicKind } from './signals.js';
import { splitRequest } from './split.js';
import type { SplitPlan } from './split-plan.js';

/** One OTLP/HTTP request body, as the receiver hands it to an ingest worker. */
export interface IngestTask {
  signal: Signal;
  format: WireFormat;
  encoding: ContentEncoding;
  body: Uint8Array;
  /** Limit on the body after decompression. */
  maxBytes: number;
  /** Partition count of each topic this signal writes to. */
  partitions: Partial<Record<TopicKind, number>>;
}

export interface IngestOutcome {
  /** The request after decompression and conversion to protobuf: the plan's offsets point into it. */
  request: Buffer;
  /** Its records, each with its partition; valid until the next `ingest` in this thread. */
  plan: SplitPlan;
  accepted: Partial<Record<TopicKind, number>>;
  rejected: number;
  rejectionMessage: string;
  /** Size of the request after decompression. */
  decodedBytes: number;
}

/**
 * Decompresses, converts JSON to protobuf, splits into one record per trace or resource and
 * picks each record's partition. Pure CPU work: it runs in the ingest worker pool. The records'
 * bytes are written later, straight into their batches (src/receiver/batch-encoder.ts).
 */
export function ingest(task: IngestTask): IngestOutcome {
  const raw = decompress(task.body, task.encoding, task.maxBytes);
  if (task.format === 'json') checkJsonCost(raw, task.maxBytes);
  const request = bufferOf(task.format === 'json' ? jsonToProto(parseOtlpJson(bufferOf(raw).toString('utf8')), REQUEST_MESSAGE[task.signal]) : raw);
  const { plan, accepted, rejected, rejectionMessage } = splitRequest(request, SPLIT_SIGNALS[task.signal]);
  for (let g = 0; g < plan.groupCount; g++) {
    const partitions = task.partitions[plan.topics[g]];
    if (!partitions) throw new Error(`no partition count for topic kind ${plan.topics[g]}`);
    plan.partitions.push(partitionForHexKey(plan.keys[g], partitions));
  }
  return { request, plan, accepted, rejected, rejectionMessage, decodedBytes: raw.length };
}
