// Runs on: broker thread.
/** The contract between a broker thread and the storage of one partition it leads. */

export type FsyncPolicy = 'always' | 'interval' | 'never';

export interface PartitionLogOptions {
  /** The partition's directory, e.g. <data_dir>/topics/otlp_spans-3; created when missing. */
  dir: string;
  segmentBytes: number;
  segmentMs: number;
  retentionBytes?: number;
  retentionMs?: number;
  /** One sparse index entry per this many bytes of log. */
  indexIntervalBytes: number;
  /** Largest batch accepted by append and believed by recovery. */
  maxBatchBytes: number;
}

/** What recovery found and cut after an unclean stop. */
export interface RecoveryReport {
  clean: boolean;
  segmentsChecked: number;
  batchesChecked: number;
  truncatedBytes: number;
  /** Why bytes were cut: 'truncated', 'bad-crc', 'bad-length', 'bad-magic', 'offset-gap', ... */
  reasons: string[];
  indexesRebuilt: number;
  segmentsRemoved: number;
  /** Offsets between two segments that no file holds (a segment file went missing). */
  missingOffsets: number;
}

export interface AppendResult {
  baseOffset: number;
  lastOffset: number;
  /** The high watermark after the append (next offset to be written). */
  highWatermark: number;
}

export interface ReadResult {
  /** Whole record batches as stored, concatenated; the first one contains `offset`. */
  batches: Buffer;
  highWatermark: number;
  logStartOffset: number;
}
