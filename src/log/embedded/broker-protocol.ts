// Runs on: main thread, broker threads and sink workers (the messages between them).
import type { MessagePort } from 'node:worker_threads';
import type { SerializedError } from '../../errors.js';
import type { StoredProducerBatch } from '../batch-producer.js';
import type { FsyncPolicy, RecoveryReport } from '../../../workers/broker/partition-log-types.js';
import type { BatchRingMemory, RingSlice } from './batch-ring.js';

/**
 * Messages between the controller (main thread) and a broker thread. Every request carries an id;
 * the broker answers each id exactly once (except produce with acks 0, which is never answered).
 * Produced batches lie in the broker's shared ring when they fit (see batch-ring.ts); other batch
 * bytes cross as transferred ArrayBuffers, never copied.
 */

/** Settings a broker needs for every partition it leads. */
export interface BrokerSettings {
  fsync: FsyncPolicy;
  fsyncIntervalMs: number;
  retentionCheckIntervalMs: number;
  indexIntervalBytes: number;
  maxBatchBytes: number;
}

/** Effective storage settings of one partition (topic overrides applied to the log defaults). */
export interface PartitionStorageSettings {
  segmentBytes: number;
  segmentMs: number;
  retentionBytes?: number;
  retentionMs?: number;
}

export interface PartitionAssignment {
  topic: string;
  partition: number;
  dir: string;
  leaderEpoch: number;
  settings: PartitionStorageSettings;
}

export interface BrokerWorkerData {
  brokerId: number;
  settings: BrokerSettings;
  ring: BatchRingMemory;
  /**
   * One Int32 the broker adds 1 to whenever bytes it served may no longer be in the log
   * (retention deleted a segment, partitions were opened (recovery may truncate) or dropped):
   * batches a reader holds from before a change are not served (see read-ahead.ts).
   */
  changes: SharedArrayBuffer;
}

export interface PartitionStats {
  topic: string;
  partition: number;
  logStartOffset: number;
  highWatermark: number;
  sizeBytes: number;
  /** Appended bytes not yet synced to disk. */
  unflushed: boolean;
  /** Syncs since the partition was opened by this broker thread. */
  flushes: number;
}

export interface OpenedPartition {
  topic: string;
  partition: number;
  recovery: RecoveryReport;
  /** The partition's SharedOffsets memory, kept up to date by the broker. */
  offsets: SharedArrayBuffer;
}

/** A batch as it travels: the view's bytes are `buffer[byteOffset, byteOffset + length)`. */
export interface BatchBytes {
  buffer: ArrayBuffer;
  byteOffset: number;
  length: number;
}

export type BrokerRequest =
  | { id: number; op: 'open'; partitions: PartitionAssignment[] }
  /** Closes the partitions (where open) and deletes their directories: undoes a topic creation. */
  | { id: number; op: 'dropPartitions'; partitions: PartitionAssignment[]; /** closed but left on disk */ keepDirs: string[] }
  /** Closes the partitions of a deleted topic without syncing what they hold; the caller removes their directories. */
  | { id: number; op: 'discardPartitions'; partitions: PartitionAssignment[] }
  /** `verifyCrc`: the batch came from outside this process's encoder, so the broker checks its CRC. */
  /** handBack: the batch's whole ArrayBuffer was handed over (BatchHandOver) and goes back with the reply. */
  | { id: number; op: 'produce'; topic: string; partition: number; batch: BatchBytes | RingSlice; acks: 0 | 1; verifyCrc: boolean; handBack?: boolean }
  /** `lingerMs`: see FetchRequest. */
  | { id: number; op: 'fetch'; topic: string; partition: number; offset: number; maxBytes: number; maxWaitMs: number; lingerMs: number }
  /** A fetch's ArrayBuffer, transferred back once its bytes were sent: the broker reads later fetches into it. Never answered. */
  | { id: number; op: 'recycle'; buffer: ArrayBuffer }
  | { id: number; op: 'offsetForTimestamp'; topic: string; partition: number; timestamp: number }
  /** The largest record timestamp the partition holds (undefined when none): Kafka's ListOffsets MAX_TIMESTAMP. */
  | { id: number; op: 'maxTimestamp'; topic: string; partition: number }
  /** Idempotent producers' last batches in the last `windowBytes` of the partition (workers/broker/producer-tail.ts). */
  | { id: number; op: 'producerTail'; topic: string; partition: number; windowBytes: number; maxProducers: number }
  | { id: number; op: 'updateSettings'; topic: string; partition: number; settings: PartitionStorageSettings }
  | { id: number; op: 'enforceRetention' }
  | { id: number; op: 'stats'; topic?: string }
  /** A port of its own for another thread (a sink worker) that reads: fetch, offsetForTimestamp and recycle only. */
  | { id: number; op: 'attach'; port: MessagePort }
  | { id: number; op: 'close' };

/** What a reader's port (see `attach`) may ask. */
export type ReaderRequest = Extract<BrokerRequest, { op: 'fetch' | 'offsetForTimestamp' | 'recycle' }>;

export type BrokerOp = BrokerRequest['op'];

export interface ProduceReply {
  baseOffset: number;
  highWatermark: number;
  /** The memory of a batch sent with handBack, transferred back once written. */
  memory?: ArrayBuffer;
}

export interface FetchReply {
  batches: BatchBytes;
  highWatermark: number;
  logStartOffset: number;
}

/** What each request resolves to. */
export interface BrokerReplies {
  open: OpenedPartition[];
  dropPartitions: null;
  discardPartitions: null;
  produce: ProduceReply;
  fetch: FetchReply;
  recycle: null;
  offsetForTimestamp: number;
  maxTimestamp: number | undefined;
  producerTail: StoredProducerBatch[];
  updateSettings: null;
  enforceRetention: PartitionStats[];
  stats: PartitionStats[];
  attach: null;
  close: null;
}

export type BrokerResponse = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: SerializedError };

/** Unsolicited news from a broker thread; it has no logger of its own. */
export interface BrokerLogEvent {
  id: 0;
  log: 'debug' | 'info' | 'warn' | 'error';
  message: string;
  fields?: Record<string, unknown>;
}

export type BrokerMessage = BrokerResponse | BrokerLogEvent;

/**
 * The view's bytes as a BatchBytes, plus the transfer list that moves them without a copy. The
 * caller must own the view's memory (a fresh allocation it hands over). Buffers under half of
 * Buffer.poolSize may sit in Node's shared allocation pool, which cannot be transferred: those
 * few bytes are copied instead.
 */
export function toBatchBytes(view: Uint8Array): { bytes: BatchBytes; transfer: ArrayBuffer[] } {
  if (view.byteLength < Buffer.poolSize >>> 1) {
    const copy = new Uint8Array(view);
    return { bytes: { buffer: copy.buffer, byteOffset: 0, length: copy.byteLength }, transfer: [copy.buffer] };
  }
  const buffer = view.buffer as ArrayBuffer;
  return { bytes: { buffer, byteOffset: view.byteOffset, length: view.byteLength }, transfer: [buffer] };
}

export function fromBatchBytes(bytes: BatchBytes): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
}
