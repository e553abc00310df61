// Runs on: broker thread.
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Checkpoint } from './checkpoint.js';
import type { PartitionLogOptions, RecoveryReport } from './partition-log-types.js';
import { quietly, SEGMENT_FILE, Segment, segmentFileName } from './segment.js';

export interface LoadedSegments {
  /** Sorted by base offset; empty when the directory held no segment. */
  segments: Segment[];
  report: RecoveryReport;
}

/** Segment base offsets found in `dir`; index files without their log (a crash while a segment
 *  was created or deleted) are removed. A name past the largest offset is no segment's: left alone. */
function listSegments(dir: string): number[] {
  const logs = new Set<number>();
  const indexes: number[] = [];
  for (const name of readdirSync(dir)) {
    const m = SEGMENT_FILE.exec(name);
    if (!m || !Number.isSafeInteger(Number(m[1]))) continue;
    if (m[2] === 'log') logs.add(Number(m[1]));
    else indexes.push(Number(m[1]));
  }
  for (const base of indexes) if (!logs.has(base)) rmSync(join(dir, segmentFileName(base, 'index')), { force: true });
  return [...logs].sort((a, b) => a - b);
}

/**
 * Opens the segments of a partition. After a clean close the files are trusted: only each
 * index is checked against its log and the tail after its last entry is read for the segment's
 * end. Otherwise every batch past the checkpoint's recovery point is validated (length, magic,
 * CRC-32C, offsets continuing), the log is cut at the first bad one and later segments removed.
 * A segment before the checkpoint found short, or missing, loses only its own offsets (reported).
 */
export function loadSegments(options: PartitionLogOptions, checkpoint: Checkpoint | null, now: number): LoadedSegments {
  const segments: Segment[] = [];
  try {
    return loadInto(segments, options, checkpoint, now);
  } catch (err) {
    // Nothing stays open when the partition cannot be: a broker retrying would run out of descriptors.
    for (const segment of segments) quietly(() => segment.close());
    throw err;
  }
}

function loadInto(segments: Segment[], options: PartitionLogOptions, checkpoint: Checkpoint | null, now: number): LoadedSegments {
  const bases = listSegments(options.dir);
  const report: RecoveryReport = {
    // A new partition has nothing to recover.
    clean: checkpoint?.clean === true || bases.length === 0,
    segmentsChecked: 0,
    batchesChecked: 0,
    truncatedBytes: 0,
    reasons: [],
    indexesRebuilt: 0,
    segmentsRemoved: 0,
    missingOffsets: 0,
  };

  // Where validation starts: the checkpoint's segment and position, else the very beginning.
  let startSegment = Number.POSITIVE_INFINITY;
  let startPosition = 0;
  if (!report.clean) {
    const at = checkpoint ? bases.indexOf(checkpoint.segmentBaseOffset) : -1;
    startSegment = Math.max(at, 0);
    startPosition = at >= 0 ? checkpoint!.position : 0;
  }

  for (let i = 0; i < bases.length; i++) {
    const base = bases[i];
    const indexExisted = existsSync(join(options.dir, segmentFileName(base, 'index')));
    const segment = Segment.open(options.dir, base, now);
    const previous = segments[segments.length - 1];
    const validating = i >= startSegment;
    // A segment starting past the end of the one before is kept (see countMissingOffsets).
    if (previous && previous.nextOffset > base) {
      // A segment starting inside the one before it cannot be ordered: it goes, and all after it.
      report.reasons.push('offset-gap');
      report.clean = false;
      segment.close();
      removeSegments(options.dir, bases.slice(i), report);
      break;
    }
    segments.push(segment);
    const verifyFrom = !validating ? Number.POSITIVE_INFINITY : i === startSegment ? Math.min(startPosition, segment.size) : 0;

    // A missing or stale index is rebuilt; so is one whose whole segment is being validated.
    const stale = segment.size > 0 && (!indexExisted || !segment.indexMatchesLog());
    if (stale || verifyFrom === 0) segment.index.clear();
    else if (verifyFrom !== Number.POSITIVE_INFINITY) segment.index.truncateTo(verifyFrom);
    const rebuild = stale || (verifyFrom === 0 && segment.size > 0);
    if (rebuild) report.indexesRebuilt++;
    const entry = segment.index.last();
    const result = segment.scan(
      { position: entry.position, offset: base + entry.relativeOffset, maxTimestamp: entry.maxTimestampBefore },
      { verifyFrom, maxBatchBytes: options.maxBatchBytes },
      options.indexIntervalBytes,
    );
    if (validating || rebuild) segment.markUnsynced();
    if (validating) {
      report.segmentsChecked++;
      report.batchesChecked += result.batches;
    }
    if (result.problem) {
      report.reasons.push(result.problem);
      report.truncatedBytes += segment.size - result.end;
      report.clean = false;
      segment.settle(result);
      // Past the checkpoint a bad batch ends what the crash left: everything after it goes. Before
      // it (synced, or closed cleanly) it is damage to this segment alone: the segments after it
      // stay, and the offsets cut show as missing.
      if (!validating) continue;
      removeSegments(options.dir, bases.slice(i + 1), report);
      break;
    }
    segment.settle(result);
  }

  // An empty last segment is a roll that crashed before its first batch (or a cut one).
  while (segments.length > 1 && segments[segments.length - 1].size === 0) {
    segments.pop()!.remove();
    report.segmentsRemoved++;
  }
  countMissingOffsets(segments, report);
  const active = segments[segments.length - 1];
  if (active && active.size > 0) active.rollTime = active.headerAt(0)!.maxTimestamp;
  return { segments, report };
}

/**
 * Offsets between two kept segments that no file holds: a segment file gone (deleted by hand,
 * lost by the file system) or one before the checkpoint cut short. They are reported, and the
 * segments after them kept; readers skip the gap.
 */
function countMissingOffsets(segments: readonly Segment[], report: RecoveryReport): void {
  for (let i = 1; i < segments.length; i++) report.missingOffsets += segments[i].baseOffset - segments[i - 1].nextOffset;
  if (report.missingOffsets === 0) return;
  report.reasons.push('missing-offsets');
  report.clean = false;
}

/** Deletes whole segments that follow a cut; their bytes count as truncated. */
function removeSegments(dir: string, bases: number[], report: RecoveryReport): void {
  for (const base of bases) {
    const log = join(dir, segmentFileName(base, 'log'));
    report.truncatedBytes += statSync(log).size;
    report.segmentsRemoved++;
    rmSync(log);
    rmSync(join(dir, segmentFileName(base, 'index')), { force: true });
  }
}
