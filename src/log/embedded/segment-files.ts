/**
 * Runs on: main thread.
 *
 * The main thread reading on in a segment file where a broker's fetch ended, instead of asking
 * the broker again: a Kafka client reading a partition in order fetches 1 MB at a time, and each
 * window asked of the broker thread cost a message each way, two thread wake-ups and the broker's
 * request handling, about as much CPU as the read itself (docs/perf-notes.md). The read goes
 * through libuv's thread pool (fs.read), so a window not in the page cache does not hold up the
 * event loop.
 *
 * Why bytes read this way are true: a broker appends a batch before it stores the new high
 * watermark in shared memory (SharedOffsets), so every batch below the high watermark read after
 * it is whole on disk, and such batches never change in place: retention deletes whole segment
 * files, recovery cuts only a torn tail past them, and both add to the brokers' change count. A
 * read is made only while the change count is the one of the fetch that named the file, and the
 * first batch must start at the offset asked for; anything else (the segment ended, the file is
 * gone, fewer bytes than a batch) leaves the read to the broker.
 */
import { close, open, read } from 'node:fs';
import { LOG_OVERHEAD, readBatchHeader } from '../record-batch.js';
import type { BufferPool } from '../../buffer-pool.js';
import type { BatchesAt, FetchedBatches } from './read-ahead.js';

export interface SegmentFilesOptions {
  /** A partition's log start offset and high watermark as its leader stored them; undefined when not open. */
  offsets: (topic: string, partition: number) => { logStartOffset: number; highWatermark: number } | undefined;
  /** The brokers' change count (see BrokerWorkerData.changes). */
  changes: () => number;
  /** Where windows are read into; FetchReader gives them back once served. */
  pool: BufferPool;
}

export class SegmentFiles {
  constructor(private readonly options: SegmentFilesOptions) {}

  /**
   * Whole batches from `offset` on, up to `maxBytes`, read from the file where `at` says the
   * batches before `offset` end; undefined when the broker must answer instead.
   */
  async read(topic: string, partition: number, offset: number, maxBytes: number, at: BatchesAt): Promise<FetchedBatches | undefined> {
    const { offsets, changes, pool } = this.options;
    const before = offsets(topic, partition);
    if (!before || offset >= before.highWatermark || changes() !== at.since) return undefined;
    const buffer = pool.take(maxBytes);
    let length = 0;
    try {
      length = await readAt(at.path, buffer, at.end);
    } catch {
      // The file went (retention) or cannot be opened now: the broker knows where to read.
    }
    // The high watermark after the read bounds what is served: read before it, the bytes past
    // it might be a batch being appended.
    const now = offsets(topic, partition);
    const end = now && changes() === at.since ? wholeBatchesBelow(buffer.subarray(0, length), offset, now.highWatermark) : 0;
    if (!now || end === 0) {
      pool.give(buffer);
      return undefined;
    }
    return { batches: buffer.subarray(0, end), highWatermark: now.highWatermark, logStartOffset: now.logStartOffset, at: { ...at, end: at.end + end } };
  }

  /** The memory of batches read() returned, once nothing reads them any more. */
  giveBack(batches: Buffer): void {
    this.options.pool.give(batches);
  }
}

/** Reads up to `buffer.length` bytes of the file at `path` from `position`; the byte count read. */
function readAt(path: string, buffer: Buffer, position: number): Promise<number> {
  return new Promise((resolve, reject) => {
    open(path, 'r', (openErr, fd) => {
      if (openErr) return reject(openErr);
      read(fd, buffer, 0, buffer.length, position, (readErr, bytes) => {
        close(fd, () => (readErr ? reject(readErr) : resolve(bytes)));
      });
    });
  });
}

/**
 * The length of the whole batches at the start of `bytes` that end below `highWatermark`; 0
 * unless the first one starts at `offset`.
 */
export function wholeBatchesBelow(bytes: Buffer, offset: number, highWatermark: number): number {
  let end = 0;
  while (end + LOG_OVERHEAD <= bytes.length) {
    const header = readBatchHeader(bytes, end);
    if (!header || header.batchLength < 0 || (end === 0 && header.baseOffset !== offset)) break;
    const next = end + LOG_OVERHEAD + header.batchLength;
    if (next > bytes.length || header.baseOffset + header.lastOffsetDelta >= highWatermark) break;
    end = next;
  }
  return end;
}
