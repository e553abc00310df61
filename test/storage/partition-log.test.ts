import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PartitionLog } from '../../workers/broker/partition-log.js';
import { batchOf, expectedValues, fill, logOptions, readAll, useTempDirs } from './helpers.js';

const tempDir = useTempDirs();

describe('PartitionLog', () => {
  it('assigns consecutive offsets and reads back every record', () => {
    const log = PartitionLog.open(logOptions(tempDir()));
    expect(log.recovery.clean).toBe(true);
    expect(log.append(batchOf(3, 0), 5)).toEqual({ baseOffset: 0, lastOffset: 2, highWatermark: 3 });
    expect(log.append(batchOf(2, 3), 5)).toEqual({ baseOffset: 3, lastOffset: 4, highWatermark: 5 });
    expect(readAll(log)).toEqual(expectedValues(0, 5));
    log.close();
  });

  it('rolls segments by size, named by base offset, and reads across them', () => {
    const dir = tempDir();
    const log = PartitionLog.open(logOptions(dir, { segmentBytes: 8 * 1024 }));
    fill(log, 30);
    const logs = readdirSync(dir).filter((f) => f.endsWith('.log'));
    expect(logs.length).toBeGreaterThan(3);
    expect(logs[0]).toBe('00000000000000000000.log');
    expect(readAll(log)).toEqual(expectedValues(0, 300));
    expect(readAll(log, 123)).toEqual(expectedValues(123, 300));
    log.close();
  });

  it('keeps everything across a clean close and reopen, and keeps counting', () => {
    const dir = tempDir();
    const log = PartitionLog.open(logOptions(dir, { segmentBytes: 8 * 1024 }));
    fill(log, 20);
    const size = log.sizeBytes;
    log.close();
    const reopened = PartitionLog.open(logOptions(dir, { segmentBytes: 8 * 1024 }));
    expect(reopened.recovery).toMatchObject({ clean: true, truncatedBytes: 0, indexesRebuilt: 0, segmentsRemoved: 0 });
    expect(reopened.highWatermark).toBe(200);
    expect(reopened.sizeBytes).toBe(size);
    expect(reopened.append(batchOf(1, 200), 0).baseOffset).toBe(200);
    expect(readAll(reopened)).toEqual(expectedValues(0, 201));
    reopened.close();
  });

  it('keeps batches larger than a lowered maxBatchBytes across a clean reopen', () => {
    const dir = tempDir();
    const log = PartitionLog.open(logOptions(dir));
    fill(log, 5);
    log.close();
    const reopened = PartitionLog.open(logOptions(dir, { maxBatchBytes: 500 }));
    expect(reopened.recovery).toMatchObject({ clean: true, truncatedBytes: 0 });
    expect(readAll(reopened)).toEqual(expectedValues(0, 50));
    reopened.close();
  });

  it('flush is needed only after a write', () => {
    const log = PartitionLog.open(logOptions(tempDir()));
    expect(log.unflushed).toBe(false);
    fill(log, 1);
    expect(log.unflushed).toBe(true);
    log.flush();
    expect(log.unflushed).toBe(false);
    log.close();
  });
});
