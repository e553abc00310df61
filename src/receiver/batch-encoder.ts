// Runs on: ingest worker.
import { copyBytes } from '../copy-bytes.js';
import { TributaryError } from '../errors.js';
import { BATCH_HEADER_SIZE, encodeHeaders, recordSize, sealBatch, writeBatchHeader, writeRecordStart } from '../log/record-batch.js';
import type { RecordHeader } from '../log/types.js';
import { varintSize, writeVarint } from '../log/varint.js';
import type { IngestOutcome } from '../otlp/ingest.js';
import { IntList } from '../otlp/int-list.js';
import type { TopicKind } from '../otlp/signals.js';
import { ScratchBuffer } from '../scratch-buffer.js';

/** One record batch v2, ready for the log, at `[offset, offset + length)` of the batches' buffer. */
export interface EncodedBatch {
  topic: TopicKind;
  partition: number;
  offset: number;
  length: number;
}

/** How many bytes of batches one request may make. */
export interface BatchLimits {
  /** Largest batch to encode; keep it under log.max_record_bytes. */
  maxBatchBytes: number;
  /** Most bytes of batches per byte of the request, decompressed (receiver.max_write_amplification). */
  maxWriteAmplification: number;
  /** Most bytes of batches in all (receiver.max_inflight_bytes: the receiver could never hold more at once). */
  maxWriteBytes: number;
}

export interface EncodedBatches {
  batches: EncodedBatch[];
  /** Every batch back to back: the caller's shared memory, or a fresh ArrayBuffer to transfer. */
  buffer: ArrayBuffer | SharedArrayBuffer;
  /** Records left out because a batch of that record alone would be over `maxBatchBytes`. */
  oversized: OversizedRecords;
}

/** The records no batch could hold: what their items count for, per kind, and the largest's size. */
export interface OversizedRecords {
  weights: Partial<Record<TopicKind, number>>;
  records: number;
  /** Size of the largest one's batch. */
  largest: number;
}

/** Where batches bound for the caller's shared memory are encoded, before one bulk copy there. */
const scratch = new ScratchBuffer(256 * 1024);

/** Per record (group of the plan), reused by every call: encoding is synchronous. */
const valueSizes = new IntList();
const recordSizes = new IntList();
/** The next record of the same batch, or -1. */
const nextInBatch = new IntList();

/**
 * Encodes a request's records as one record batch per partition (split further only where a
 * batch would pass `maxBatchBytes`, the log's batch limit), in the ingest worker, so the main
 * thread only hands the bytes to the log. Sizes are computed first, exactly; then each record's
 * value is written from the request straight into its batch. Every record gets `timestamp`, the
 * time of receipt, and the headers of its kind. The batches go into `output` when they fit, else into a buffer
 * of their own.
 *
 * Each record repeats its resource and scope, so a small request of many traces under a large
 * resource could make gigabytes of records: past `maxWriteAmplification` times the request's
 * decoded size, or `maxWriteBytes`, the sizing stops and the request is refused
 * (PAYLOAD_TOO_LARGE), before anything is allocated for the batches or handed to the log.
 */
export function encodePartitionBatches(
  outcome: IngestOutcome,
  headers: (kind: TopicKind) => RecordHeader[],
  timestamp: number,
  limits: BatchLimits,
  output?: SharedArrayBuffer,
): EncodedBatches {
  const { plan, request } = outcome;
  const headerBlocks: Partial<Record<TopicKind, Uint8Array>> = {};
  const batches: EncodedBatch[] = [];
  const open: Partial<Record<TopicKind, number[]>> = {};
  /** Per batch: its first and last record, its record count. */
  const batchFirst: number[] = [];
  const batchLast: number[] = [];
  const batchCount: number[] = [];
  for (const list of [valueSizes, recordSizes, nextInBatch]) list.clear();
  const { maxBatchBytes } = limits;
  const maxTotal = Math.min(limits.maxWriteAmplification * outcome.decodedBytes, limits.maxWriteBytes);
  const oversized: OversizedRecords = { weights: {}, records: 0, largest: 0 };
  let total = 0;
  for (let g = 0; g < plan.groupCount; g++) {
    const topic = plan.topics[g];
    const partition = plan.partitions.data[g];
    const key = plan.keys[g];
    headerBlocks[topic] ??= encodeHeaders(headers(topic));
    const headerBlock = headerBlocks[topic];
    const valueSize = plan.valueSize(g);
    const keyField = varintSize(key.length) + key.length;
    const valueField = varintSize(valueSize) + valueSize;
    // Alone in a batch and still over the log's limit: the log would refuse it, and with it the
    // request, though the other records are fine. Its items are rejected (partial_success) instead.
    const alone = BATCH_HEADER_SIZE + framedSize(recordSize(0, 0, keyField, valueField, headerBlock.length));
    if (alone > maxBatchBytes) {
      oversized.weights[topic] = (oversized.weights[topic] ?? 0) + plan.weights.data[g];
      oversized.records++;
      oversized.largest = Math.max(oversized.largest, alone);
      nextInBatch.push(-1);
      valueSizes.push(0);
      recordSizes.push(0);
      continue;
    }
    open[topic] ??= [];
    const byPartition = open[topic];
    let b = byPartition[partition] ?? -1;
    if (b >= 0 && batches[b].length + framedSize(recordSize(0, batchCount[b], keyField, valueField, headerBlock.length)) > maxBatchBytes) b = -1;
    if (b < 0) {
      b = batches.length;
      byPartition[partition] = b;
      total += BATCH_HEADER_SIZE;
      batches.push({ topic, partition, offset: 0, length: BATCH_HEADER_SIZE });
      batchFirst.push(g);
      batchLast.push(-1);
      batchCount.push(0);
    } else nextInBatch.data[batchLast[b]] = g;
    const size = recordSize(0, batchCount[b], keyField, valueField, headerBlock.length);
    batchLast[b] = g;
    batchCount[b]++;
    nextInBatch.push(-1);
    valueSizes.push(valueSize);
    recordSizes.push(size);
    batches[b].length += framedSize(size);
    total += framedSize(size);
    if (total > maxTotal) throw tooMuchToWrite(outcome.decodedBytes, plan.groupCount, limits);
  }
  let offset = 0;
  for (const batch of batches) {
    batch.offset = offset;
    offset += batch.length;
  }

  // Not zero-filled: every byte is written below (the check against the sizes proves it).
  const shared = output !== undefined && total <= output.byteLength;
  const out = shared ? scratch.take(total) : Buffer.allocUnsafeSlow(total);
  for (let b = 0; b < batches.length; b++) {
    const { offset, length } = batches[b];
    writeBatchHeader(out, offset, length, batchCount[b], timestamp, timestamp);
    let pos = offset + BATCH_HEADER_SIZE;
    for (let g = batchFirst[b], i = 0; g >= 0; g = nextInBatch.data[g], i++) {
      const key = plan.keys[g];
      pos = writeRecordStart(out, pos, recordSizes.data[g], 0, i);
      pos = writeVarint(out, pos, key.length);
      pos += out.write(key, pos, 'latin1');
      pos = writeVarint(out, pos, valueSizes.data[g]);
      pos = plan.writeValue(g, request, out, pos);
      const headerBlock = headerBlocks[plan.topics[g]]!;
      out.set(headerBlock, pos);
      pos += headerBlock.length;
    }
    if (pos !== offset + length) throw new TributaryError('INTERNAL', `a batch of ${pos - offset} bytes was sized at ${length}`);
    sealBatch(out, offset, offset + length);
  }
  if (!shared) return { batches, buffer: out.buffer as ArrayBuffer, oversized };
  copyBytes(new Uint8Array(output, 0, total), out);
  return { batches, buffer: output, oversized };
}

function tooMuchToWrite(decodedBytes: number, records: number, limits: BatchLimits): TributaryError {
  const { maxWriteAmplification, maxWriteBytes } = limits;
  const limit =
    maxWriteAmplification * decodedBytes <= maxWriteBytes
      ? `${maxWriteAmplification} times its ${decodedBytes} bytes (receiver.max_write_amplification)`
      : `${maxWriteBytes} bytes (receiver.max_inflight_bytes)`;
  return new TributaryError(
    'PAYLOAD_TOO_LARGE',
    `the request's ${records} records would take more than ${limit} in the log: every record repeats its resource and scope, ` +
      'so send fewer traces per request or a smaller resource',
    { details: { decodedBytes, maxWriteAmplification, maxWriteBytes } },
  );
}

/** A record's bytes in its batch: its length prefix and the record. */
const framedSize = (size: number) => varintSize(size) + size;
