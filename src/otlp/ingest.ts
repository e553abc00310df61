import { SPLIT_SIGNALS } from './classifiers.js';
import { type ContentEncoding, decompress } from './decompress.js';
import { jsonToProto, parseOtlpJson } from './json-to-proto.js';
import { partitionForKey } from './partitioner.js';
import type { WireFormat } from './responses.js';
import { REQUEST_MESSAGE, type Signal, type TopicKind } from './signals.js';
import { splitRequest } from './split.js';

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

export interface IngestRecord {
  topic: TopicKind;
  partition: number;
  key: string;
  /** Where the record's value (an Export*ServiceRequest) lies in `IngestOutcome.buffer`. */
  offset: number;
  length: number;
}

export interface IngestOutcome {
  records: IngestRecord[];
  buffer: ArrayBuffer;
  accepted: Partial<Record<TopicKind, number>>;
  rejected: number;
  rejectionMessage: string;
  /** Size of the request after decompression. */
  decodedBytes: number;
}

/**
 * Decompresses, converts JSON to protobuf, splits into one record per trace or resource and
 * picks each record's partition. Pure CPU work: it runs in the ingest worker pool.
 */
export function ingest(task: IngestTask): IngestOutcome {
  const raw = decompress(task.body, task.encoding, task.maxBytes);
  const proto = task.format === 'json' ? jsonToProto(parseOtlpJson(asBuffer(raw).toString('utf8')), REQUEST_MESSAGE[task.signal]) : raw;
  const split = splitRequest(asBuffer(proto), SPLIT_SIGNALS[task.signal]);
  const records = split.records.map((r): IngestRecord => {
    const partitions = task.partitions[r.topic];
    if (!partitions) throw new Error(`no partition count for topic kind ${r.topic}`);
    return { ...r, partition: partitionForKey(Buffer.from(r.key, 'latin1'), partitions) };
  });
  return { ...split, records, decodedBytes: raw.length };
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
