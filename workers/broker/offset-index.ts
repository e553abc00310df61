// Runs on: broker thread.
import { closeSync, constants, fdatasyncSync, ftruncateSync, openSync, readFileSync, writeSync } from 'node:fs';

/**
 * The sparse index of one segment, `<baseOffset>.index`. The file is a flat array of 16-byte
 * big-endian entries, one per `indexIntervalBytes` of log:
 *
 *   relativeOffset uint32 | position uint32 | maxTimestampBefore int64
 *
 * relativeOffset is the base offset of the batch at `position` minus the segment's base offset;
 * maxTimestampBefore is the largest record timestamp of all batches before `position` in the
 * segment (-1 when none). That running maximum only grows, so a timestamp lookup is a binary
 * search, like an offset lookup. Position 0 is never stored: it is the implicit first entry.
 *
 * Entries live in memory; the file gets the new ones on `persist()` (the partition's flush).
 * Entries lost in a crash only make the index sparser, and recovery re-adds them while it scans.
 */
const INDEX_ENTRY_SIZE = 16;
export const NO_TIMESTAMP = -1;

export interface IndexEntry {
  relativeOffset: number;
  position: number;
  maxTimestampBefore: number;
}

const START: IndexEntry = { relativeOffset: 0, position: 0, maxTimestampBefore: NO_TIMESTAMP };

export class OffsetIndex {
  private relativeOffsets: Uint32Array;
  private positions: Uint32Array;
  private timestamps: Float64Array;
  private count = 0;
  /** Entries [0, persisted) are in the file. */
  private persisted = 0;
  private unsynced = false;

  private constructor(
    private readonly fd: number,
    capacity: number,
  ) {
    this.relativeOffsets = new Uint32Array(capacity);
    this.positions = new Uint32Array(capacity);
    this.timestamps = new Float64Array(capacity);
  }

  /** Opens (creating when missing) the index file and loads its entries as they are. */
  static open(path: string): OffsetIndex {
    const fd = openSync(path, constants.O_RDWR | constants.O_CREAT);
    let bytes: Buffer;
    try {
      bytes = readFileSync(fd);
      // A torn trailing entry is cut so that new entries land on entry boundaries.
      const whole = bytes.length - (bytes.length % INDEX_ENTRY_SIZE);
      if (bytes.length !== whole) ftruncateSync(fd, whole);
    } catch (err) {
      try {
        closeSync(fd);
      } catch {}
      throw err;
    }
    const n = Math.floor(bytes.length / INDEX_ENTRY_SIZE);
    const index = new OffsetIndex(fd, Math.max(64, n));
    for (let i = 0; i < n; i++) {
      const at = i * INDEX_ENTRY_SIZE;
      index.relativeOffsets[i] = bytes.readUInt32BE(at);
      index.positions[i] = bytes.readUInt32BE(at + 4);
      index.timestamps[i] = Number(bytes.readBigInt64BE(at + 8));
    }
    index.count = n;
    index.persisted = n;
    return index;
  }

  get entries(): number {
    return this.count;
  }

  get lastPosition(): number {
    return this.count === 0 ? 0 : this.positions[this.count - 1];
  }

  entry(i: number): IndexEntry {
    if (i < 0) return START;
    return { relativeOffset: this.relativeOffsets[i], position: this.positions[i], maxTimestampBefore: this.timestamps[i] };
  }

  last(): IndexEntry {
    return this.entry(this.count - 1);
  }

  /**
   * True when the entries could describe a log of `logSize` bytes: strictly increasing offsets
   * and positions, timestamps that never fall, all inside the log. A stale or garbled index
   * fails this (or the check of its last entry against the log) and is rebuilt.
   */
  plausible(logSize: number): boolean {
    let prevOffset = 0;
    let prevPosition = 0;
    let prevTimestamp = NO_TIMESTAMP;
    for (let i = 0; i < this.count; i++) {
      const o = this.relativeOffsets[i];
      const p = this.positions[i];
      const t = this.timestamps[i];
      if (o <= prevOffset || p <= prevPosition || t < prevTimestamp) return false;
      prevOffset = o;
      prevPosition = p;
      prevTimestamp = t;
    }
    return prevPosition < logSize;
  }

  /** Adds an entry for the batch at `position` when it is `interval` bytes past the last one. */
  maybeAdd(relativeOffset: number, position: number, maxTimestampBefore: number, interval: number): void {
    if (position - this.lastPosition < interval || position === 0) return;
    if (this.count === this.positions.length) this.grow();
    this.relativeOffsets[this.count] = relativeOffset;
    this.positions[this.count] = position;
    this.timestamps[this.count] = maxTimestampBefore;
    this.count++;
  }

  /** The last entry at or below `relativeOffset` (the implicit start entry when none). */
  floorOffset(relativeOffset: number): IndexEntry {
    return this.entry(this.lastIndexWhere((i) => this.relativeOffsets[i] <= relativeOffset));
  }

  /** The last entry at or before byte `position` of the log (the implicit start entry when none). */
  floorPosition(position: number): IndexEntry {
    return this.entry(this.lastIndexWhere((i) => this.positions[i] <= position));
  }

  /** The last entry before which every timestamp is below `timestamp`: a scan for it starts there. */
  floorTimestamp(timestamp: number): IndexEntry {
    return this.entry(this.lastIndexWhere((i) => this.timestamps[i] < timestamp));
  }

  /** Binary search over a predicate that holds for a prefix of the entries; -1 when for none. */
  private lastIndexWhere(holds: (i: number) => boolean): number {
    let lo = 0;
    let hi = this.count - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (holds(mid)) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found;
  }

  /** Drops the entries at or past `position` (the log was cut there). */
  truncateTo(position: number): void {
    let n = this.count;
    while (n > 0 && this.positions[n - 1] >= position) n--;
    this.setCount(n);
  }

  clear(): void {
    this.setCount(0);
  }

  private setCount(n: number): void {
    if (n >= this.count) return;
    this.count = n;
    if (this.persisted > n) {
      ftruncateSync(this.fd, n * INDEX_ENTRY_SIZE);
      this.persisted = n;
      this.unsynced = true;
    }
  }

  /** Writes the entries added since the last call to the file; on failure they stay to be written again. */
  persist(): void {
    if (this.persisted === this.count) return;
    const n = this.count - this.persisted;
    const buf = Buffer.allocUnsafe(n * INDEX_ENTRY_SIZE);
    for (let i = 0; i < n; i++) {
      const at = i * INDEX_ENTRY_SIZE;
      const e = this.persisted + i;
      buf.writeUInt32BE(this.relativeOffsets[e], at);
      buf.writeUInt32BE(this.positions[e], at + 4);
      buf.writeBigInt64BE(BigInt(this.timestamps[e]), at + 8);
    }
    const at = this.persisted * INDEX_ENTRY_SIZE;
    // A nearly full disk can take part of a write; the rest is written after it.
    for (let written = 0; written < buf.length; ) written += writeSync(this.fd, buf, written, buf.length - written, at + written);
    this.persisted = this.count;
    this.unsynced = true;
  }

  /** For a sync on another thread: persist(), then the descriptor to fdatasync, if it changed. */
  takeSyncTarget(): number | undefined {
    this.persist();
    if (!this.unsynced) return undefined;
    this.unsynced = false;
    return this.fd;
  }

  /** The file needs a sync again (one started elsewhere may not have finished). */
  markUnsynced(): void {
    this.unsynced = true;
  }

  /** persist(), then fdatasync when the file changed. */
  sync(): void {
    this.persist();
    if (!this.unsynced) return;
    fdatasyncSync(this.fd);
    this.unsynced = false;
  }

  close(): void {
    closeSync(this.fd);
  }

  private grow(): void {
    const capacity = this.positions.length * 2;
    const offsets = new Uint32Array(capacity);
    const positions = new Uint32Array(capacity);
    const timestamps = new Float64Array(capacity);
    offsets.set(this.relativeOffsets);
    positions.set(this.positions);
    timestamps.set(this.timestamps);
    this.relativeOffsets = offsets;
    this.positions = positions;
    this.timestamps = timestamps;
  }
}
