import { appendFileSync, existsSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CHECKPOINT_FILE, CheckpointFile } from '../../workers/broker/checkpoint.js';
import { PartitionLog } from '../../workers/broker/partition-log.js';
import { segmentFileName } from '../../workers/broker/segment.js';
import { batchOf, expectedValues, fill, logOptions, readAll, useTempDirs } from './helpers.js';

const tempDir = useTempDirs();
const options = (dir: string) => logOptions(dir, { segmentBytes: 8 * 1024, indexIntervalBytes: 2048 });
const logFile = (dir: string, base: number) => join(dir, segmentFileName(base, 'log'));
const indexFile = (dir: string, base: number) => join(dir, segmentFileName(base, 'index'));
const segmentBases = (dir: string) =>
  readdirSync(dir)
    .filter((f) => f.endsWith('.log'))
    .map((f) => Number(f.slice(0, 20)));

/**
 * A log that stopped without close(), like a process killed after its last write: 100 records
 * flushed (the recovery point), then 50 more written but not flushed. Its descriptors are left
 * behind, as a dead process's would be; nothing writes through them again.
 */
function crashedLog(dir: string): { flushedAt: number; end: number } {
  const log = PartitionLog.open(options(dir));
  fill(log, 10);
  log.flush();
  const flushedAt = log.highWatermark;
  fill(log, 5);
  return { flushedAt, end: log.highWatermark };
}

/** Cuts `bytes` off the end of the last segment, like a write the crash interrupted. */
function tearLastSegment(dir: string, bytes: number): void {
  const last = logFile(dir, Math.max(...segmentBases(dir)));
  truncateSync(last, statSync(last).size - bytes);
}

/** Reopens after a crash, checks every surviving record and that offsets keep counting. */
function reopenAndCheck(dir: string, expectedEnd: number): PartitionLog {
  const log = PartitionLog.open(options(dir));
  expect(log.highWatermark).toBe(expectedEnd);
  expect(readAll(log)).toEqual(expectedValues(0, expectedEnd));
  expect(log.append(batchOf(3, expectedEnd), 1)).toMatchObject({ baseOffset: expectedEnd, lastOffset: expectedEnd + 2 });
  expect(readAll(log, expectedEnd)).toEqual(expectedValues(expectedEnd, expectedEnd + 3));
  return log;
}

describe('recovery after an unclean stop', () => {
  it('validates only the batches after the recovery checkpoint and keeps them all', () => {
    const dir = tempDir();
    const { end } = crashedLog(dir);
    const log = reopenAndCheck(dir, end);
    expect(log.recovery).toMatchObject({ clean: false, truncatedBytes: 0, reasons: [], segmentsRemoved: 0 });
    // 5 unflushed batches, plus those before the checkpoint in its own segment at most.
    expect(log.recovery.batchesChecked).toBeGreaterThanOrEqual(5);
    expect(log.recovery.batchesChecked).toBeLessThan(15);
    log.close();
  });

  it('opens without waiting for what it validated to reach the disk; the checkpoint moves only after that sync', async () => {
    const dir = tempDir();
    const { flushedAt, end } = crashedLog(dir);
    const checkpoint = () => {
      const file = CheckpointFile.open(join(dir, CHECKPOINT_FILE));
      try {
        return file.read();
      } finally {
        file.close();
      }
    };
    const log = PartitionLog.open(options(dir));
    expect(log.unflushed).toBe(true);
    expect(checkpoint()).toMatchObject({ clean: false, recoveryOffset: flushedAt });
    // Killed again before that sync: the same batches are validated again, and none is lost.
    const again = reopenAndCheck(dir, end);
    expect(again.recovery.batchesChecked).toBe(log.recovery.batchesChecked);
    await new Promise<void>((resolve, reject) => again.flushInBackground((err) => (err ? reject(err) : resolve())));
    expect(again.unflushed).toBe(false);
    expect(checkpoint()).toMatchObject({ clean: false, recoveryOffset: end + 3 });
    again.close();
  });

  it('validates everything when the checkpoint is missing', () => {
    const dir = tempDir();
    const { end } = crashedLog(dir);
    rmSync(join(dir, CHECKPOINT_FILE));
    const log = reopenAndCheck(dir, end);
    expect(log.recovery).toMatchObject({ clean: false, batchesChecked: 15, truncatedBytes: 0 });
    log.close();
  });

  it('torn tail: cuts the partial last batch', () => {
    const dir = tempDir();
    const { end } = crashedLog(dir);
    tearLastSegment(dir, 100);
    const log = reopenAndCheck(dir, end - 10);
    expect(log.recovery.reasons).toEqual(['truncated']);
    expect(log.recovery.truncatedBytes).toBe(batchOf(10).length - 100);
    log.close();
  });

  it('garbage appended: cuts the bytes after the last sound batch', () => {
    const dir = tempDir();
    const { end } = crashedLog(dir);
    appendFileSync(logFile(dir, Math.max(...segmentBases(dir))), Buffer.alloc(300, 0xab));
    const log = reopenAndCheck(dir, end);
    expect(log.recovery.reasons).toEqual(['bad-length']);
    expect(log.recovery.truncatedBytes).toBe(300);
    log.close();
  });

  it('flipped bit after the checkpoint: cuts from that batch and removes later segments', () => {
    const dir = tempDir();
    const { flushedAt, end } = crashedLog(dir);
    // The first batch after the recovery point gets a flipped bit in a record value.
    const bases = segmentBases(dir);
    const base = bases.filter((b) => b <= flushedAt).pop()!;
    const bytes = readFileSync(logFile(dir, base));
    let position = 0;
    let offset = base;
    while (offset < flushedAt) {
      position += 12 + bytes.readInt32BE(position + 8);
      offset += 10;
    }
    bytes[position + 100] ^= 0x04;
    writeFileSync(logFile(dir, base), bytes);
    const log = reopenAndCheck(dir, flushedAt);
    expect(log.recovery.reasons).toEqual(['bad-crc']);
    expect(log.recovery.segmentsRemoved).toBe(bases.filter((b) => b > base).length);
    expect(log.recovery.truncatedBytes).toBe((end - flushedAt) * (batchOf(10).length / 10));
    log.close();
  });

  it('missing index: rebuilds it, identical to the one written before', () => {
    const dir = tempDir();
    const log = PartitionLog.open(options(dir));
    fill(log, 20);
    log.close();
    const original = readFileSync(indexFile(dir, 0));
    expect(original.length).toBeGreaterThan(0);
    rmSync(indexFile(dir, 0));
    const reopened = PartitionLog.open(options(dir));
    expect(reopened.recovery).toMatchObject({ clean: true, indexesRebuilt: 1, truncatedBytes: 0 });
    expect(readAll(reopened, 3)).toEqual(expectedValues(3, 200));
    reopened.close();
    expect(readFileSync(indexFile(dir, 0))).toEqual(original);
  });

  it('stale index: an index that does not match its log is rebuilt', () => {
    const dir = tempDir();
    const log = PartitionLog.open(options(dir));
    fill(log, 20);
    log.close();
    const original = readFileSync(indexFile(dir, 0));
    // The index of a log written in smaller batches: plausible on its face, wrong for this log.
    const otherDir = tempDir();
    const other = PartitionLog.open(options(otherDir));
    fill(other, 40, 3);
    other.close();
    writeFileSync(indexFile(dir, 0), readFileSync(indexFile(otherDir, 0)));
    const reopened = PartitionLog.open(options(dir));
    expect(reopened.recovery.indexesRebuilt).toBe(1);
    expect(readAll(reopened, 1)).toEqual(expectedValues(1, 200));
    reopened.close();
    expect(readFileSync(indexFile(dir, 0))).toEqual(original);
  });

  it('stale index: entries past a cut log are dropped', () => {
    const dir = tempDir();
    const { end } = crashedLog(dir);
    const base = Math.max(...segmentBases(dir));
    writeFileSync(indexFile(dir, base), Buffer.from('00000fff0000ffff0000000000000000', 'hex'));
    const log = reopenAndCheck(dir, end);
    expect(log.recovery.indexesRebuilt).toBeGreaterThanOrEqual(1);
    log.close();
  });

  it('empty segment: an empty last segment is removed', () => {
    const dir = tempDir();
    const { end } = crashedLog(dir);
    writeFileSync(logFile(dir, end), '');
    const log = reopenAndCheck(dir, end);
    expect(log.recovery).toMatchObject({ segmentsRemoved: 1, truncatedBytes: 0 });
    log.close();
  });

  it('crash during a roll: the new segment with half a batch and an orphan index are removed', () => {
    const dir = tempDir();
    const { end } = crashedLog(dir);
    writeFileSync(logFile(dir, end), batchOf(10, end).subarray(0, 500));
    writeFileSync(indexFile(dir, end), '');
    writeFileSync(indexFile(dir, end + 1000), '');
    const log = reopenAndCheck(dir, end);
    expect(log.recovery).toMatchObject({ reasons: ['truncated'], truncatedBytes: 500, segmentsRemoved: 1 });
    expect(existsSync(indexFile(dir, end + 1000))).toBe(false);
    log.close();
  });

  it('crash during a roll after a cut: a segment starting past the end of the log is removed', () => {
    const dir = tempDir();
    const { end } = crashedLog(dir);
    tearLastSegment(dir, 100);
    writeFileSync(logFile(dir, end), batchOf(10, end));
    const log = reopenAndCheck(dir, end - 10);
    expect(log.recovery.reasons).toEqual(['truncated']);
    expect(log.recovery.segmentsRemoved).toBe(1);
    log.close();
  });

  it('missing segment after a clean stop: the gap is reported and every later segment is kept', () => {
    const dir = tempDir();
    const log = PartitionLog.open(options(dir));
    fill(log, 15);
    const end = log.highWatermark;
    log.close();
    const bases = segmentBases(dir).sort((a, b) => a - b);
    expect(bases.length).toBeGreaterThanOrEqual(3);
    const [lost, next] = [bases[1], bases[2]];
    rmSync(logFile(dir, lost));
    rmSync(indexFile(dir, lost));

    const reopened = PartitionLog.open(options(dir));
    expect(reopened.recovery).toMatchObject({ clean: false, reasons: ['missing-offsets'], missingOffsets: next - lost, segmentsRemoved: 0 });
    expect(reopened.highWatermark).toBe(end);
    expect(readAll(reopened)).toEqual([...expectedValues(0, lost), ...expectedValues(next, end)]);
    reopened.close();
  });

  it("missing segment after a crash: the checkpoint's own segment gone cuts nothing after it", () => {
    const dir = tempDir();
    const { flushedAt, end } = crashedLog(dir);
    const checkpoint = CheckpointFile.open(join(dir, CHECKPOINT_FILE));
    const lost = checkpoint.read()!.segmentBaseOffset;
    checkpoint.close();
    const bases = segmentBases(dir).sort((a, b) => a - b);
    const next = bases[bases.indexOf(lost) + 1];
    expect(next).toBeLessThan(end);
    expect(lost).toBeLessThan(flushedAt);
    rmSync(logFile(dir, lost));

    const log = PartitionLog.open(options(dir));
    expect(log.recovery).toMatchObject({ clean: false, reasons: ['missing-offsets'], missingOffsets: next - lost, segmentsRemoved: 0, truncatedBytes: 0 });
    expect(log.highWatermark).toBe(end);
    expect(readAll(log)).toEqual([...expectedValues(0, lost), ...expectedValues(next, end)]);
    log.close();
  });

  it('truncated segment before the checkpoint: cuts that segment only, keeps the later ones and reports the offsets lost', () => {
    const dir = tempDir();
    const log = PartitionLog.open(options(dir));
    fill(log, 15);
    const end = log.highWatermark;
    log.close();
    const bases = segmentBases(dir).sort((a, b) => a - b);
    const [damaged, next] = [bases[0], bases[1]];
    const file = logFile(dir, damaged);
    truncateSync(file, statSync(file).size - 100);

    const reopened = PartitionLog.open(options(dir));
    // The last batch of the damaged segment is cut (10 records), nothing after it.
    expect(reopened.recovery).toMatchObject({ clean: false, reasons: ['truncated', 'missing-offsets'], missingOffsets: 10, segmentsRemoved: 0 });
    expect(reopened.highWatermark).toBe(end);
    expect(readAll(reopened)).toEqual([...expectedValues(0, next - 10), ...expectedValues(next, end)]);
    reopened.close();
  });

  it('a foreign file named like a segment past the largest offset is left alone', () => {
    const dir = tempDir();
    const { end } = crashedLog(dir);
    writeFileSync(join(dir, '99999999999999999999.log'), 'not a segment');
    const log = reopenAndCheck(dir, end);
    expect(log.recovery).toMatchObject({ truncatedBytes: 0, segmentsRemoved: 0, missingOffsets: 0 });
    log.close();
    expect(existsSync(join(dir, '99999999999999999999.log'))).toBe(true);
  });

  it('overlapping segment: one starting before the end of the one before it is removed', () => {
    const dir = tempDir();
    const { end } = crashedLog(dir);
    const last = Math.max(...segmentBases(dir));
    writeFileSync(logFile(dir, end - 5), batchOf(10, end - 5));
    const log = PartitionLog.open(options(dir));
    expect(log.recovery.reasons).toEqual(['offset-gap']);
    expect(log.recovery.segmentsRemoved).toBe(1);
    expect(log.highWatermark).toBe(end);
    expect(readAll(log)).toEqual(expectedValues(0, end));
    expect(existsSync(logFile(dir, last))).toBe(true);
    log.close();
  });
});
