import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CHECKPOINT_FILE, CheckpointFile } from '../../workers/broker/checkpoint.js';
import { PartitionLog } from '../../workers/broker/partition-log.js';
import { expectedValues, fill, logOptions, readAll, useTempDirs } from './helpers.js';

const tempDir = useTempDirs();

function flushInBackground(log: PartitionLog): Promise<{ err: unknown; synced: boolean }> {
  return new Promise((resolve) => log.flushInBackground((err, synced) => resolve({ err, synced })));
}

function recoveryOffset(dir: string): number | undefined {
  const file = CheckpointFile.open(join(dir, CHECKPOINT_FILE));
  try {
    return file.read()?.recoveryOffset;
  } finally {
    file.close();
  }
}

describe('PartitionLog background flush (fsync: interval)', () => {
  it('lets appends go on while it syncs, and checkpoints the end as it was when it began', async () => {
    const dir = tempDir();
    const log = PartitionLog.open(logOptions(dir));
    fill(log, 3);
    const first = flushInBackground(log);
    fill(log, 2); // while the fdatasync runs on the thread pool
    expect(await flushInBackground(log)).toEqual({ err: undefined, synced: false }); // one at a time
    expect(await first).toEqual({ err: undefined, synced: true });
    expect(recoveryOffset(dir)).toBe(30);
    expect(log.unflushed).toBe(true);

    expect(await flushInBackground(log)).toEqual({ err: undefined, synced: true });
    expect(recoveryOffset(dir)).toBe(50);
    expect(log.unflushed).toBe(false);
    log.close();
  });

  it('retention keeps a segment that a background flush is syncing until the flush returns', async () => {
    const dir = tempDir();
    const log = PartitionLog.open(logOptions(dir, { segmentBytes: 8 * 1024, retentionBytes: 1 }));
    fill(log, 20); // several segments, each written since the last flush
    const flushed = flushInBackground(log);
    expect(log.enforceRetention().segmentsDeleted).toBe(0);
    expect(await flushed).toEqual({ err: undefined, synced: true });
    expect(log.enforceRetention().segmentsDeleted).toBeGreaterThan(0);
    expect(readAll(log).at(-1)?.offset).toBe(199);
    log.close();
  });

  it('a close during a background flush syncs everything itself and closes cleanly', async () => {
    const dir = tempDir();
    const log = PartitionLog.open(logOptions(dir, { segmentBytes: 8 * 1024 }));
    fill(log, 20);
    const flushed = flushInBackground(log);
    log.close();
    expect((await flushed).synced).toBe(true);
    const reopened = PartitionLog.open(logOptions(dir, { segmentBytes: 8 * 1024 }));
    expect(reopened.recovery.clean).toBe(true);
    expect(readAll(reopened)).toEqual(expectedValues(0, 200));
    reopened.close();
  });
});
