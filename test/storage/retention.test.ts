import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { TributaryError } from '../../src/errors.js';
import { PartitionLog } from '../../workers/broker/partition-log.js';
import { batchOf, expectedValues, fill, logOptions, readAll, useTempDirs } from './helpers.js';

const tempDir = useTempDirs();
const HOUR = 3_600_000;
const T = 1_700_000_000_000;
const segmentFiles = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.log'));

describe('PartitionLog retention', () => {
  it('by size: deletes the oldest whole segments while the rest still holds retentionBytes', () => {
    const dir = tempDir();
    const options = logOptions(dir, { segmentBytes: 8 * 1024, retentionBytes: 20 * 1024 });
    const log = PartitionLog.open(options);
    fill(log, 60);
    const before = log.sizeBytes;
    const files = segmentFiles(dir).length;
    const { segmentsDeleted, bytesDeleted } = log.enforceRetention();
    expect(segmentsDeleted).toBeGreaterThan(0);
    expect(segmentFiles(dir).length).toBe(files - segmentsDeleted);
    expect(log.sizeBytes).toBe(before - bytesDeleted);
    expect(log.sizeBytes).toBeGreaterThanOrEqual(20 * 1024);
    expect(log.sizeBytes).toBeLessThan(20 * 1024 + 8 * 1024);
    expect(log.logStartOffset).toBe(Number(segmentFiles(dir)[0].slice(0, 20)));
    expect(readAll(log)).toEqual(expectedValues(log.logStartOffset, 600));
    expect(log.enforceRetention()).toEqual({ segmentsDeleted: 0, bytesDeleted: 0 });

    const err = (() => {
      try {
        log.read(0, 100);
      } catch (e) {
        return e as TributaryError;
      }
    })();
    expect(err?.code).toBe('OFFSET_OUT_OF_RANGE');
    expect(err?.details).toEqual({ logStartOffset: log.logStartOffset, highWatermark: 600 });

    const start = log.logStartOffset;
    log.close();
    const reopened = PartitionLog.open(options);
    expect(reopened.logStartOffset).toBe(start);
    expect(reopened.highWatermark).toBe(600);
    reopened.close();
  });

  it('by age: deletes segments whose newest record is older than retentionMs', () => {
    const log = PartitionLog.open(logOptions(tempDir(), { segmentBytes: 8 * 1024, segmentMs: 10 * HOUR, retentionMs: HOUR }));
    // Six batches fit a segment: two segments of old records, a third mixing old and new.
    fill(log, 14, 10, T);
    const oldEnd = log.highWatermark;
    fill(log, 11, 10, T + 2 * HOUR);
    const { segmentsDeleted } = log.enforceRetention(T + 2 * HOUR);
    expect(segmentsDeleted).toBe(2);
    expect(log.logStartOffset).toBe(120);
    expect(log.logStartOffset).toBeLessThan(oldEnd);
    expect(readAll(log)).toEqual(expectedValues(log.logStartOffset, 250));
    expect(log.enforceRetention(T + 2 * HOUR + HOUR).segmentsDeleted).toBe(0);
    log.close();
  });

  it('never deletes the active segment, and offsets keep counting after everything else went', () => {
    const log = PartitionLog.open(logOptions(tempDir(), { segmentBytes: 8 * 1024, retentionMs: 0, retentionBytes: 0 }));
    fill(log, 20, 10, T);
    log.enforceRetention(T + HOUR);
    expect(log.highWatermark).toBe(200);
    expect(log.logStartOffset).toBeGreaterThan(0);
    expect(log.sizeBytes).toBeGreaterThan(0);
    expect(log.append(batchOf(1, 200), 0).baseOffset).toBe(200);
    log.close();
  });
});
