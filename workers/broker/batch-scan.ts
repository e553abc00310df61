// Runs on: broker thread.
import { readSync } from 'node:fs';
import { BATCH_HEADER_SIZE, type BatchHeader, checkBatch, LOG_OVERHEAD, MAGIC, readBatchHeader } from '../../src/log/record-batch.js';

/** Where a scan of a segment file starts: a batch boundary, the offset expected there, and the
 *  largest timestamp seen before it. */
export interface ScanStart {
  position: number;
  offset: number;
  maxTimestamp: number;
}

export interface ScanResult {
  /** Position after the last sound batch: where the log should end. */
  end: number;
  nextOffset: number;
  maxTimestamp: number;
  batches: number;
  /** Why the scan stopped before the end of the file; null when it reached it. */
  problem: string | null;
}

export interface ScanOptions {
  /** Batches at or past this position get the full check (CRC-32C, length up to maxBatchBytes);
   *  before it, headers only. */
  verifyFrom: number;
  maxBatchBytes: number;
  onBatch?: (position: number, header: BatchHeader, maxTimestampBefore: number) => void;
}

const HEADER_WINDOW = 64 * 1024;
const VERIFY_WINDOW = 1024 * 1024;

/**
 * Walks the batches of a segment file from `start` to `size`, checking that each is whole, sane
 * and continues the offsets of the one before. Reads go through one window buffer; a batch
 * under full check is always wholly inside it.
 */
export function scanBatches(fd: number, size: number, start: ScanStart, options: ScanOptions): ScanResult {
  let backing = Buffer.allocUnsafe(0);
  let window = backing;
  let windowStart = 0;
  const load = (position: number, length: number): void => {
    if (backing.length < length) backing = Buffer.allocUnsafe(length);
    const n = readSync(fd, backing, 0, length, position);
    window = backing.subarray(0, n);
    windowStart = position;
  };
  const holds = (from: number, to: number) => from >= windowStart && to <= windowStart + window.length;

  let position = start.position;
  let nextOffset = start.offset;
  let maxTimestamp = start.maxTimestamp;
  let batches = 0;
  const stop = (problem: string | null): ScanResult => ({ end: position, nextOffset, maxTimestamp, batches, problem });

  while (position < size) {
    const verify = position >= options.verifyFrom;
    if (size - position < BATCH_HEADER_SIZE) return stop('truncated');
    if (!holds(position, position + BATCH_HEADER_SIZE)) {
      load(position, Math.min(verify ? VERIFY_WINDOW : HEADER_WINDOW, size - position));
    }
    const header = readBatchHeader(window, position - windowStart)!;
    // Trusted batches are bounded by the file only: a lowered maxBatchBytes must not cut them.
    const maxLength = verify ? options.maxBatchBytes : size;
    if (header.batchLength < BATCH_HEADER_SIZE - LOG_OVERHEAD || header.batchLength > maxLength) {
      return stop('bad-length');
    }
    if (header.magic !== MAGIC) return stop('bad-magic');
    const end = position + LOG_OVERHEAD + header.batchLength;
    if (end > size) return stop('truncated');
    if (header.baseOffset !== nextOffset || header.lastOffsetDelta < 0) return stop('offset-gap');
    if (verify) {
      if (!holds(position, end)) load(position, Math.max(VERIFY_WINDOW, end - position));
      if (checkBatch(window, position - windowStart, options.maxBatchBytes) !== null) return stop('bad-crc');
    }
    options.onBatch?.(position, header, maxTimestamp);
    if (header.maxTimestamp > maxTimestamp) maxTimestamp = header.maxTimestamp;
    nextOffset = header.baseOffset + header.lastOffsetDelta + 1;
    position = end;
    batches++;
  }
  return stop(null);
}
