import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PartitionLog } from '../../workers/broker/partition-log.js';
import { capability } from '../capability.js';
import { descriptorsUnder, withDescriptorsLeft } from '../fd-limit.js';
import { batchOf, expectedValues, fill, logOptions, readAll, thrown, useTempDirs } from './helpers.js';

const tempDir = useTempDirs();
const canLimit = process.platform === 'linux' && capability('changing a process\'s open-file limit', ['prlimit', '--pid', String(process.pid), '--nofile']);

const segmentFiles = (dir: string) => readdirSync(dir).filter((name) => /\.(log|index)$/.test(name)).sort();

describe.runIf(canLimit)('PartitionLog with no file descriptors left (a real EMFILE)', () => {
  it('a segment roll that gets its log file but not its index fails retriably, closes and removes what it opened, and the next append rolls', () => {
    const dir = tempDir();
    const log = PartitionLog.open(logOptions(dir, { segmentBytes: 4 * 1024 }));
    fill(log, 2); // 2 batches of ~1.3 KB: the next one no longer fits the active segment
    const open = descriptorsUnder(dir);
    const files = segmentFiles(dir);

    // One descriptor left: the new segment's log file opens, its index does not.
    const err = withDescriptorsLeft(1, () => thrown(() => log.append(batchOf(10, log.highWatermark), 0)));
    expect(err).toMatchObject({ code: 'STORAGE_ERROR', retriable: true });
    expect(err.message).toMatch(/EMFILE.*no file descriptors left/);
    expect(descriptorsUnder(dir)).toEqual(open);
    expect(segmentFiles(dir)).toEqual(files);

    // Once descriptors are free again the same append goes through, at the offset it would have had.
    expect(log.append(batchOf(10, 20), 0).baseOffset).toBe(20);
    expect(segmentFiles(dir)).toHaveLength(files.length + 2);
    expect(readAll(log)).toEqual(expectedValues(0, 30));
    log.close();
    expect(descriptorsUnder(dir)).toEqual([]);
  });

  it('a partition that cannot be opened for lack of descriptors leaves none of its files open', () => {
    const dir = tempDir();
    const log = PartitionLog.open(logOptions(dir, { segmentBytes: 4 * 1024 }));
    fill(log, 12); // several segments, two descriptors each
    log.close();

    const err = withDescriptorsLeft(5, () => thrown(() => PartitionLog.open(logOptions(dir, { segmentBytes: 4 * 1024 }))));
    expect(err).toMatchObject({ code: 'STORAGE_ERROR', retriable: true });
    expect(err.message).toMatch(/EMFILE/);
    expect(descriptorsUnder(dir)).toEqual([]);

    const reopened = PartitionLog.open(logOptions(dir, { segmentBytes: 4 * 1024 }));
    expect(readAll(reopened)).toEqual(expectedValues(0, 120));
    reopened.close();
  });
});
