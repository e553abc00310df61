// Runs on: broker thread.
import { closeSync, constants, fdatasyncSync, fstatSync, ftruncateSync, openSync, readSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { storageError } from '../../src/log/storage-error.js';
import { BATCH_HEADER_SIZE, type BatchHeader, batchEnd, LOG_OVERHEAD, readBatchHeader } from '../../src/log/record-batch.js';
import { type ScanOptions, type ScanResult, type ScanStart, scanBatches } from './batch-scan.js';
import { NO_TIMESTAMP, OffsetIndex } from './offset-index.js';

/** `00000000000000000042.log`: base offsets padded to 20 digits sort as file names. */
export function segmentFileName(baseOffset: number, extension: 'log' | 'index'): string {
  return `${String(baseOffset).padStart(20, '0')}.${extension}`;
}

export const SEGMENT_FILE = /^(\d{20})\.(log|index)$/;

/** A batch found in a segment: where it starts and its header. */
export interface BatchLocation {
  position: number;
  header: BatchHeader;
}

/**
 * One segment: a log file of record batches stored as they arrive, plus its sparse offset index.
 * The log file's descriptor stays open; appends are positioned synchronous writes.
 */
export class Segment {
  size: number;
  /** One past the last offset in the segment; the base offset when empty. */
  nextOffset: number;
  maxTimestamp = NO_TIMESTAMP;
  /** When the segment started, for rolling by age: the clock at its first append in this
   *  process; for a segment found on disk, its first batch's timestamp. */
  rollTime: number;
  /** When the segment was last written: the clock at its last append in this process, else its
   *  file's modification time. Retention's time for a segment whose records have no timestamp. */
  lastModified: number;
  private unsynced = false;
  /** Where the batch after the last read starts: a consumer reading on needs no index lookup. */
  private nextRead = { offset: -1, position: -1 };

  private constructor(
    readonly dir: string,
    readonly baseOffset: number,
    private readonly fd: number,
    size: number,
    readonly index: OffsetIndex,
    now: number,
    lastModified = now,
  ) {
    this.size = size;
    this.nextOffset = baseOffset;
    this.rollTime = now;
    this.lastModified = lastModified;
  }

  /**
   * A new, empty segment; leftovers of the same name (from a crash) are replaced. When its index
   * cannot be opened (no descriptors left, say), the log file is closed and removed again: a
   * failed roll leaves nothing open and nothing behind, and the next append tries again.
   */
  static create(dir: string, baseOffset: number, now: number): Segment {
    const logPath = join(dir, segmentFileName(baseOffset, 'log'));
    const indexPath = join(dir, segmentFileName(baseOffset, 'index'));
    let fd: number | undefined;
    try {
      rmSync(indexPath, { force: true });
      fd = openSync(logPath, 'w+');
      return new Segment(dir, baseOffset, fd, 0, OffsetIndex.open(indexPath), now);
    } catch (err) {
      if (fd !== undefined) {
        const opened = fd;
        quietly(() => closeSync(opened));
        quietly(() => rmSync(logPath, { force: true }));
      }
      throw storageError(err, `creating segment ${baseOffset} in ${dir}`);
    }
  }

  /** An existing segment, files as they are; the caller scans it to learn its end. */
  static open(dir: string, baseOffset: number, now: number): Segment {
    let fd: number | undefined;
    try {
      fd = openSync(join(dir, segmentFileName(baseOffset, 'log')), constants.O_RDWR);
      const stat = fstatSync(fd);
      return new Segment(dir, baseOffset, fd, stat.size, OffsetIndex.open(join(dir, segmentFileName(baseOffset, 'index'))), now, stat.mtimeMs);
    } catch (err) {
      const opened = fd;
      if (opened !== undefined) quietly(() => closeSync(opened));
      throw storageError(err, `opening segment ${baseOffset} in ${dir}`);
    }
  }

  get unflushed(): boolean {
    return this.unsynced;
  }

  /** Bytes read back after a crash, or covered by a sync still under way, may not be on disk. */
  markUnsynced(): void {
    this.unsynced = true;
    this.index.markUnsynced();
  }

  /**
   * For a sync on another thread: the descriptors to fdatasync (log, index), counted as synced.
   * The index's new entries are written first: when that fails (a full disk), nothing is counted
   * as synced, so the log is still synced by the next flush, before a checkpoint passes it.
   */
  takeSyncTargets(): number[] {
    const indexFd = this.index.takeSyncTarget();
    const fds: number[] = [];
    if (this.unsynced) fds.push(this.fd);
    this.unsynced = false;
    if (indexFd !== undefined) fds.push(indexFd);
    return fds;
  }

  /** Writes one batch (offsets already assigned) at the end of the log. */
  append(batch: Buffer, header: BatchHeader, indexIntervalBytes: number, now: number): void {
    const position = this.size;
    try {
      let written = 0;
      while (written < batch.length) {
        written += writeSync(this.fd, batch, written, batch.length - written, position + written);
      }
    } catch (err) {
      // Part of a batch is not left behind where it can be helped. Where it cannot, the next
      // append overwrites it (writes go at `size`), and recovery cuts what lies past the last batch.
      try {
        ftruncateSync(this.fd, position);
      } catch {}
      throw storageError(err, `writing to segment ${this.baseOffset} in ${this.dir}`);
    }
    if (this.size === 0) this.rollTime = now;
    this.lastModified = now;
    this.index.maybeAdd(header.baseOffset - this.baseOffset, position, this.maxTimestamp, indexIntervalBytes);
    this.size += batch.length;
    this.nextOffset = header.baseOffset + header.lastOffsetDelta + 1;
    if (header.maxTimestamp > this.maxTimestamp) this.maxTimestamp = header.maxTimestamp;
    this.unsynced = true;
  }

  /** Scans the log file from `start` (see scanBatches), adding index entries on the way. */
  scan(start: ScanStart, options: Omit<ScanOptions, 'onBatch'>, indexIntervalBytes: number): ScanResult {
    return scanBatches(this.fd, this.size, start, {
      ...options,
      onBatch: (position, header, maxTimestampBefore) =>
        this.index.maybeAdd(header.baseOffset - this.baseOffset, position, maxTimestampBefore, indexIntervalBytes),
    });
  }

  /** Adopts a scan's outcome: the log ends where the last sound batch ended. */
  settle(result: ScanResult): void {
    if (result.end < this.size) {
      ftruncateSync(this.fd, result.end);
      this.index.truncateTo(result.end);
      this.size = result.end;
      this.unsynced = true;
    }
    this.nextOffset = result.nextOffset;
    this.maxTimestamp = result.maxTimestamp;
  }

  /** True when the index agrees with the log: plausible, and its last entry is a batch there. */
  indexMatchesLog(): boolean {
    if (!this.index.plausible(this.size)) return false;
    if (this.index.entries === 0) return true;
    const last = this.index.last();
    const header = this.headerAt(last.position);
    return header !== null && header.baseOffset === this.baseOffset + last.relativeOffset;
  }

  /** The header of the batch at `position`; null past the end. */
  headerAt(position: number): BatchHeader | null {
    if (position + BATCH_HEADER_SIZE > this.size) return null;
    const buf = Buffer.allocUnsafe(BATCH_HEADER_SIZE);
    readSync(this.fd, buf, 0, BATCH_HEADER_SIZE, position);
    return readBatchHeader(buf);
  }

  /** The batch holding `offset`, or null when the segment ends before it. */
  locate(offset: number): BatchLocation | null {
    const entry = this.index.floorOffset(offset - this.baseOffset);
    return this.scanHeaders(entry.position, (h) => h.baseOffset + h.lastOffsetDelta >= offset);
  }

  /** The first batch with a timestamp at or past `timestamp`, or null. */
  locateTimestamp(timestamp: number): BatchLocation | null {
    const entry = this.index.floorTimestamp(timestamp);
    return this.scanHeaders(entry.position, (h) => h.maxTimestamp >= timestamp);
  }

  private scanHeaders(from: number, wanted: (header: BatchHeader) => boolean): BatchLocation | null {
    for (let position = from; ; ) {
      const header = this.headerAt(position);
      if (!header) return null;
      if (wanted(header)) return { position, header };
      position += LOG_OVERHEAD + header.batchLength;
    }
  }

  /**
   * Whole batches from the one holding `offset` on, up to `maxBytes` but always at least that one
   * (as Kafka does, so a batch over the budget still gets through); null when the segment ends
   * before `offset`. One read in the common case: the position comes from the previous read or
   * the index, and the first batch's length from the bytes read.
   */
  readBatches(offset: number, maxBytes: number, alloc: (size: number) => Buffer = Buffer.allocUnsafe): Buffer | null {
    let position = this.nextRead.offset === offset && this.nextRead.position < this.size ? this.nextRead.position : -1;
    if (position < 0) {
      const found = this.locate(offset);
      if (!found) return null;
      position = found.position;
    }
    let buf = this.read(position, Math.max(maxBytes, LOG_OVERHEAD), alloc);
    const first = batchEnd(buf, 0);
    if (first > buf.length) buf = this.read(position, first, alloc);
    const { length, lastStart } = wholeBatches(buf, first);
    const last = readBatchHeader(buf, lastStart)!;
    this.nextRead = { offset: last.baseOffset + last.lastOffsetDelta + 1, position: position + length };
    return buf.subarray(0, length);
  }

  /** Reads `length` bytes at `position` (fewer at the end of the file), into memory from `alloc`. */
  read(position: number, length: number, alloc: (size: number) => Buffer = Buffer.allocUnsafe): Buffer {
    const buf = alloc(Math.max(0, Math.min(length, this.size - position)));
    let done = 0;
    while (done < buf.length) {
      const n = readSync(this.fd, buf, done, buf.length - done, position + done);
      if (n === 0) break;
      done += n;
    }
    return buf.subarray(0, done);
  }

  /** fdatasync of the log and the index, each only when written since the last sync. */
  sync(): void {
    if (this.unsynced) {
      fdatasyncSync(this.fd);
      this.unsynced = false;
    }
    this.index.sync();
  }

  close(): void {
    try {
      closeSync(this.fd);
    } finally {
      this.index.close();
    }
  }

  /** Closes and deletes the files; the log first, so a crash in between leaves an orphan index,
   *  which the next open removes, rather than a log without its index. */
  remove(): void {
    this.close();
    unlinkSync(join(this.dir, segmentFileName(this.baseOffset, 'log')));
    rmSync(join(this.dir, segmentFileName(this.baseOffset, 'index')), { force: true });
  }
}

/** The length of the whole batches at the start of `buf` (the first, of `first` bytes, is whole), and where the last one starts. */
function wholeBatches(buf: Buffer, first: number): { length: number; lastStart: number } {
  let lastStart = 0;
  let end = first;
  while (end + LOG_OVERHEAD <= buf.length) {
    const next = batchEnd(buf, end);
    if (next > buf.length) break;
    lastStart = end;
    end = next;
  }
  return { length: end, lastStart };
}

/** Releases something on a path that is failing already, where a second error would only hide the first. */
export function quietly(release: () => void): void {
  try {
    release();
  } catch {}
}
