// Runs on: broker thread.
import { closeSync, fsyncSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, TributaryError } from '../../src/errors.js';
import { storageError } from '../../src/log/storage-error.js';
import { MAX_SEGMENT_BYTES, UNLIMITED_RETENTION } from '../../src/log/storage-limits.js';
import {
  assignBatchOffset,
  type BatchHeader,
  checkBatch,
  decodeRecordBatches,
  LOG_OVERHEAD,
  readBatchHeader,
} from '../../src/log/record-batch.js';
import { syncInBackground } from './background-sync.js';
import { CHECKPOINT_FILE, type Checkpoint, CheckpointFile } from './checkpoint.js';
import type { AppendResult, PartitionLogOptions, ReadResult, RecoveryReport } from './partition-log-types.js';
import { loadSegments } from './recovery.js';
import { NO_TIMESTAMP } from './offset-index.js';
import { segmentsPastRetention } from './retention.js';
import { quietly, Segment } from './segment.js';

export type { AppendResult, PartitionLogOptions, ReadResult, RecoveryReport } from './partition-log-types.js';

type Settings = Pick<PartitionLogOptions, 'segmentBytes' | 'segmentMs' | 'retentionBytes' | 'retentionMs'>;

function requireInteger(name: string, value: number | undefined, min: number, max = Number.MAX_SAFE_INTEGER): void {
  if (value === undefined) return;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new ConfigError(`partition log option ${name} must be an integer in [${min}, ${max}], got ${value}`);
  }
}

function validateSettings(s: Partial<Settings>): void {
  requireInteger('segmentBytes', s.segmentBytes, 1, MAX_SEGMENT_BYTES);
  requireInteger('segmentMs', s.segmentMs, 1);
  requireInteger('retentionBytes', s.retentionBytes, UNLIMITED_RETENTION);
  requireInteger('retentionMs', s.retentionMs, UNLIMITED_RETENTION);
}

/**
 * The storage of one partition: an ordered run of segments, the last one active. Everything is
 * synchronous (the broker thread owns the partition). Appends are acknowledged once written to
 * the segment file; `flush()` makes them survive a machine crash and advances the recovery
 * checkpoint, so that the next open after a crash validates only what came after it.
 */
export class PartitionLog {
  readonly recovery: RecoveryReport;
  private readonly options: PartitionLogOptions;
  private readonly segments: Segment[];
  private readonly checkpoint: CheckpointFile;
  private readonly dirFd: number;
  /** Segments written since the last flush (the active one, and one just rolled away from). */
  private readonly dirty = new Set<Segment>();
  /** A segment file was created since the last flush: the directory entry needs an fsync too. */
  private dirDirty = false;
  /** What a background flush is syncing right now (see flushInBackground). */
  private syncing: { segments: Segment[]; dir: boolean } | undefined;
  private closed = false;

  private constructor(options: PartitionLogOptions, segments: Segment[], report: RecoveryReport, checkpoint: CheckpointFile, dirFd: number) {
    this.options = { ...options };
    this.segments = segments;
    this.recovery = report;
    this.checkpoint = checkpoint;
    this.dirFd = dirFd;
  }

  /** Opens (and recovers) the partition; when that fails, every file it opened is closed again. */
  static open(options: PartitionLogOptions): PartitionLog {
    validateSettings(options);
    requireInteger('indexIntervalBytes', options.indexIntervalBytes, 1);
    requireInteger('maxBatchBytes', options.maxBatchBytes, LOG_OVERHEAD, MAX_SEGMENT_BYTES);
    let checkpoint: CheckpointFile | undefined;
    let segments: Segment[] = [];
    let dirFd: number | undefined;
    try {
      mkdirSync(options.dir, { recursive: true });
      checkpoint = CheckpointFile.open(join(options.dir, CHECKPOINT_FILE));
      const now = Date.now();
      const stored = checkpoint.read();
      const loaded = loadSegments(options, stored, now);
      segments = loaded.segments;
      if (segments.length === 0) segments.push(Segment.create(options.dir, 0, now));
      dirFd = openSync(options.dir, 'r');
      return PartitionLog.start(new PartitionLog(options, segments, loaded.report, checkpoint, dirFd), stored);
    } catch (err) {
      for (const segment of segments) quietly(() => segment.close());
      const [openCheckpoint, openDir] = [checkpoint, dirFd];
      if (openCheckpoint) quietly(() => openCheckpoint.close());
      if (openDir !== undefined) quietly(() => closeSync(openDir));
      throw storageError(err, `opening the partition log in ${options.dir}`);
    }
  }

  /** Marks the partition open (unclean) durably before it takes appends. */
  private static start(log: PartitionLog, stored: Checkpoint | null): PartitionLog {
    log.dirDirty = true;
    const recovered = log.segments.filter((segment) => segment.unflushed);
    if (recovered.length === 0) {
      // Nothing but the directory to sync: the partition is marked open (unclean) at once.
      log.syncAndCheckpoint(true);
      return log;
    }
    // What recovery validated may sit in the page cache only (after kill -9, often hundreds of
    // MB): it is left to a flush the broker starts in the background at once, instead of
    // holding up the open, and the checkpoint keeps its recovery point until then. The
    // partition is still marked open (unclean) durably before any append; without a valid
    // checkpoint it already counts as unclean.
    for (const segment of recovered) log.dirty.add(segment);
    if (stored?.clean) log.checkpoint.write({ ...stored, clean: false }, true);
    return log;
  }

  get logStartOffset(): number {
    return this.segments[0].baseOffset;
  }

  get highWatermark(): number {
    return this.active.nextOffset;
  }

  get sizeBytes(): number {
    let total = 0;
    for (const s of this.segments) total += s.size;
    return total;
  }

  get unflushed(): boolean {
    return this.dirty.size > 0 || this.dirDirty || this.syncing !== undefined;
  }

  private get active(): Segment {
    return this.segments[this.segments.length - 1];
  }

  /** `verifyCrc` false only for batches this process has just encoded (see BatchRingReader). */
  append(batch: Buffer, leaderEpoch: number, now = Date.now(), verifyCrc = true): AppendResult {
    this.ensureOpen();
    const header = this.checkIncoming(batch, verifyCrc);
    this.maybeRoll(batch.length, now);
    const baseOffset = this.highWatermark;
    assignBatchOffset(batch, baseOffset, leaderEpoch);
    header.baseOffset = baseOffset;
    const active = this.active;
    active.append(batch, header, this.options.indexIntervalBytes, now);
    this.dirty.add(active);
    return { baseOffset, lastOffset: baseOffset + header.lastOffsetDelta, highWatermark: active.nextOffset };
  }

  private checkIncoming(batch: Buffer, verifyCrc: boolean): BatchHeader {
    const max = this.options.maxBatchBytes;
    if (batch.length > max) {
      throw new TributaryError('RECORD_TOO_LARGE', `record batch of ${batch.length} bytes exceeds the limit of ${max} bytes`, {
        details: { size: batch.length, maxBatchBytes: max },
      });
    }
    const problem = checkBatch(batch, 0, max, verifyCrc);
    if (problem) throw new TributaryError('INVALID_RECORD', `malformed record batch: ${problem}`, { details: { problem } });
    const header = readBatchHeader(batch)!;
    if (LOG_OVERHEAD + header.batchLength !== batch.length) {
      throw new TributaryError('INVALID_RECORD', 'malformed record batch: bytes after the end of the batch');
    }
    if (header.lastOffsetDelta < 0 || header.recordCount < 1) {
      throw new TributaryError('INVALID_RECORD', 'malformed record batch: no records or a negative last offset delta');
    }
    return header;
  }

  /** Starts a new segment when the batch would overflow the active one or it has aged out. */
  private maybeRoll(incoming: number, now: number): void {
    const active = this.active;
    if (active.size === 0) return;
    const full = active.size + incoming > this.options.segmentBytes;
    const old = now - active.rollTime >= this.options.segmentMs;
    if (!full && !old) return;
    this.segments.push(Segment.create(this.options.dir, active.nextOffset, now));
    this.dirDirty = true;
  }

  /** Whole batches from the one holding `offset` on (see Segment.readBatches), read into memory from `alloc`. */
  read(offset: number, maxBytes: number, alloc?: (size: number) => Buffer): ReadResult {
    this.ensureOpen();
    const empty = { batches: Buffer.alloc(0), highWatermark: this.highWatermark, logStartOffset: this.logStartOffset };
    if (!Number.isSafeInteger(offset) || offset < this.logStartOffset || offset > this.highWatermark) {
      const range = { logStartOffset: this.logStartOffset, highWatermark: this.highWatermark };
      throw new TributaryError(
        'OFFSET_OUT_OF_RANGE',
        `offset ${offset} is out of range: valid offsets are ${range.logStartOffset} to ${range.highWatermark}`,
        { details: range },
      );
    }
    if (!Number.isSafeInteger(maxBytes) || maxBytes < 0) {
      throw new TributaryError('INVALID_REQUEST', `maxBytes must be a non-negative integer, got ${maxBytes}`);
    }
    for (let i = this.segmentIndexFor(offset); i < this.segments.length; i++) {
      const batches = this.segments[i].readBatches(offset, maxBytes, alloc);
      if (batches) return { ...empty, batches };
    }
    return empty;
  }

  /**
   * The segments holding the last `bytes` of the log, oldest first, each with the batch boundary
   * to read from: an index entry at or before that point, so up to one index interval more is
   * covered. What a scan of the log's tail reads (see producer-tail.ts).
   */
  tail(bytes: number): { segment: Segment; position: number }[] {
    this.ensureOpen();
    const out: { segment: Segment; position: number }[] = [];
    let left = bytes;
    for (let i = this.segments.length - 1; i >= 0 && left > 0; i--) {
      const segment = this.segments[i];
      out.unshift({ segment, position: segment.index.floorPosition(Math.max(0, segment.size - left)).position });
      left -= segment.size;
    }
    return out;
  }

  /** Binary search: the last segment whose base offset is at or below `offset`. */
  private segmentIndexFor(offset: number): number {
    let lo = 0;
    let hi = this.segments.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.segments[mid].baseOffset <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** The largest record timestamp of the log, from its segments' (undefined when it holds no record). */
  maxTimestamp(): number | undefined {
    this.ensureOpen();
    let max = NO_TIMESTAMP;
    for (const segment of this.segments) if (segment.maxTimestamp > max) max = segment.maxTimestamp;
    return max === NO_TIMESTAMP ? undefined : max;
  }

  offsetForTimestamp(timestamp: number): number {
    this.ensureOpen();
    for (const segment of this.segments) {
      if (segment.maxTimestamp < timestamp) continue;
      const found = segment.locateTimestamp(timestamp);
      if (!found) continue;
      const batch = segment.read(found.position, LOG_OVERHEAD + found.header.batchLength);
      for (const record of decodeRecordBatches(batch, '', 0)) if (record.timestamp >= timestamp) return record.offset;
    }
    return this.highWatermark;
  }

  flush(): void {
    this.ensureOpen();
    if (!this.unflushed) return;
    try {
      this.syncAndCheckpoint(false);
    } catch (err) {
      throw storageError(err, `flushing the partition log in ${this.options.dir}`);
    }
  }

  /**
   * flush() for `fsync: interval`, without blocking the broker thread: the fdatasyncs run on
   * libuv's thread pool while appends and reads go on, then the checkpoint records the end as it
   * was when the flush began. Does nothing while one is under way. `done` gets its outcome, and
   * whether it synced anything.
   */
  flushInBackground(done: (err: unknown, synced: boolean) => void): void {
    if (this.closed || this.syncing || !this.unflushed) {
      done(undefined, false);
      return;
    }
    const segments = [...this.dirty];
    const dir = this.dirDirty;
    let files: number[];
    try {
      files = segments.flatMap((segment) => segment.takeSyncTargets());
    } catch (err) {
      // Segments taken before the one that failed count as synced now; they are not yet.
      for (const segment of segments) segment.markUnsynced();
      done(storageError(err, `flushing the partition log in ${this.options.dir}`), false);
      return;
    }
    this.dirty.clear();
    this.dirDirty = false;
    const active = this.active;
    const mark = { clean: false, recoveryOffset: active.nextOffset, segmentBaseOffset: active.baseOffset, position: active.size };
    this.syncing = { segments, dir };
    syncInBackground(files, dir ? this.dirFd : undefined, (err) => {
      const synced = this.syncing;
      this.syncing = undefined;
      // close() synced everything itself (and closed the descriptors these syncs used).
      if (this.closed) return done(undefined, true);
      if (err) {
        if (synced) this.resync(synced);
        return done(storageError(err, `syncing the partition log in ${this.options.dir}`), false);
      }
      try {
        this.checkpoint.write(mark, false);
        done(undefined, true);
      } catch (writeErr) {
        done(storageError(writeErr, `writing the recovery checkpoint in ${this.options.dir}`), true);
      }
    });
  }

  /** Marks what a background flush was syncing as unsynced again, where it still exists. */
  private resync(synced: { segments: Segment[]; dir: boolean }): void {
    for (const segment of synced.segments) {
      if (!this.segments.includes(segment)) continue;
      segment.markUnsynced();
      this.dirty.add(segment);
    }
    if (synced.dir) this.dirDirty = true;
  }

  /** fdatasync of what was written, then the checkpoint: everything up to the end is durable. */
  private syncAndCheckpoint(durable: boolean, clean = false): void {
    // A background flush may not have finished: its part is synced again here.
    if (this.syncing) this.resync(this.syncing);
    for (const segment of this.dirty) segment.sync();
    this.dirty.clear();
    if (this.dirDirty) {
      fsyncSync(this.dirFd);
      this.dirDirty = false;
    }
    const active = this.active;
    this.checkpoint.write(
      { clean, recoveryOffset: active.nextOffset, segmentBaseOffset: active.baseOffset, position: active.size },
      durable,
    );
  }

  enforceRetention(now = Date.now()): { segmentsDeleted: number; bytesDeleted: number } {
    this.ensureOpen();
    let n = segmentsPastRetention(this.segments, this.options, now);
    // A segment a background flush is syncing keeps its descriptor until that sync returns; it
    // goes at the next check.
    const syncing = this.syncing?.segments ?? [];
    for (let i = 0; i < n; i++) if (syncing.includes(this.segments[i])) n = i;
    let bytesDeleted = 0;
    for (const segment of this.segments.splice(0, n)) {
      bytesDeleted += segment.size;
      this.dirty.delete(segment);
      segment.remove();
    }
    return { segmentsDeleted: n, bytesDeleted };
  }

  updateSettings(settings: Partial<Settings>): void {
    validateSettings(settings);
    for (const key of ['segmentBytes', 'segmentMs', 'retentionBytes', 'retentionMs'] as const) {
      if (key in settings) this.options[key] = settings[key] as number;
    }
  }

  /**
   * Syncs everything and marks the checkpoint clean, then closes the files. The files are closed
   * even when the sync fails (the checkpoint then stays unclean and the next open recovers).
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.syncAndCheckpoint(true, true);
    } catch (err) {
      throw storageError(err, `closing the partition log in ${this.options.dir}`);
    } finally {
      for (const segment of this.segments) quietly(() => segment.close());
      quietly(() => this.checkpoint.close());
      quietly(() => closeSync(this.dirFd));
    }
  }

  /**
   * close() for a partition whose topic is deleted: the descriptors are released without syncing
   * or checkpointing anything, since the directory is removed next (a crash before that finishes
   * the removal at the next start).
   */
  discard(): void {
    if (this.closed) return;
    this.closed = true;
    for (const segment of this.segments) quietly(() => segment.close());
    quietly(() => this.checkpoint.close());
    quietly(() => closeSync(this.dirFd));
  }

  private ensureOpen(): void {
    if (this.closed) throw new TributaryError('SHUTTING_DOWN', `partition log ${this.options.dir} is closed`, { retriable: true });
  }
}
