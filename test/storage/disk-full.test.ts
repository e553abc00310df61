
import fs, { readlinkSync, rmSync, statSync, } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { TributaryError } from '../../src/errors.js';
import { CHECKPOINT_FILE, CheckpointFile } from '../../workers/broker/checkpoint.js';
import { FsyncScheduler } from '../../workers/broker/fsync-scheduler.js';
import { PartitionLog } from '../../workers/broker/partition-log.js';
import { canMountSmallDisk, fillDisk, mountSmallDisk, type SmallDisk } from '../small-disk.js';
import { batchOf, expectedValues, fill, logOptions, readAll, thrown } from './helpers.js';

/** A small tmpfs, mounted for these tests: a disk that really fills up. */
const canMount = canMountSmallDisk();

let smallDisk: SmallDisk | undefined;
let disk: string;
let partitions = 0;
beforeAll(() => {
  if (!canMount) return;
  smallDisk = mountSmallDisk('1m');
  disk = smallDisk.path;
});
afterAll(() => smallDisk?.unmount());

const FILLER = () => join(disk, 'filler');


function freeDisk(): void {
  rmSync(FILLER(), { force: true });
}

function newPartitionDir(): string {
  return join(disk, `otlp_spans-${partitions++}`);
}

function flushInBackground(log: PartitionLog): Promise<unknown> {
  return new Promise((resolve) => log.flushInBackground((err) => resolve(err)));
}

function recoveryOffset(dir: string): number | undefined {
  const file = CheckpointFile.open(join(dir, CHECKPOINT_FILE));
  try {
    return file.read()?.recoveryOffset;
  } finally {
    file.close();
  }
}

/** The files fdatasync is called on while `fn` runs (the real calls go through). */
async function filesSynced(fn: () => Promise<unknown>): Promise<string[]> {
  const synced: string[] = [];
  const original = fs.fdatasync;
  fs.fdatasync = ((fd: number, callback: fs.NoParamCallback) => {
    synced.push(readlinkSync(`/proc/self/fd/${fd}`));
    original(fd, callback);
  }) as typeof fs.fdatasync;
  syncBuiltinESMExports();
  try {
    await fn();
  } finally {
    fs.fdatasync = original;
    syncBuiltinESMExports();
  }
  return synced;
}

afterEach(freeDisk);

describe.runIf(canMount)('PartitionLog on a full disk (a real ENOSPC on a tmpfs)', () => {
  it('an append fails retriably, leaves no part of the batch behind, and goes through once there is room', () => {
    const dir = newPartitionDir();
    const log = PartitionLog.open(logOptions(dir));
    fill(log, 3);
    const segment = join(dir, '00000000000000000000.log');
    const size = statSync(segment).size;
    fillDisk(FILLER());

    const err = thrown(() => log.append(batchOf(300, 30), 0)); // ~40 KB: more than any slack left in a page
    expect(err).toMatchObject({ code: 'STORAGE_ERROR', retriable: true });
    expect(err.message).toMatch(/ENOSPC.*the disk is full/);
    expect(statSync(segment).size).toBe(size);
    expect(log.highWatermark).toBe(30);

    freeDisk();
    expect(log.append(batchOf(300, 30), 0).baseOffset).toBe(30);
    log.close();
    const reopened = PartitionLog.open(logOptions(dir));
    expect(reopened.recovery.clean).toBe(true);
    expect(readAll(reopened)).toEqual(expectedValues(0, 330));
    reopened.close();
  });

  it('a segment whose index could not be written is still synced before the recovery checkpoint passes it', async () => {
    const dir = newPartitionDir();
    const log = PartitionLog.open(logOptions(dir, { indexIntervalBytes: 1024 }));
    fill(log, 20); // ~26 KB of log, and index entries that only a flush writes to the index file
    fillDisk(FILLER());

    // The flush fails writing the index, before any fdatasync.
    const failed = (await flushInBackground(log)) as TributaryError;
    expect(failed).toMatchObject({ code: 'STORAGE_ERROR', retriable: true });
    expect(failed.message).toMatch(/ENOSPC/);
    expect(recoveryOffset(dir)).toBe(0);
    expect(log.unflushed).toBe(true);

    freeDisk();
    const synced = await filesSynced(async () => expect(await flushInBackground(log)).toBeUndefined());
    expect(synced).toContain(join(dir, '00000000000000000000.log'));
    expect(synced).toContain(join(dir, '00000000000000000000.index'));
    expect(recoveryOffset(dir)).toBe(200);
    log.close();
  });

  it('fsync always: a write whose sync fails is answered with the error, not as stored; the next one, with room, syncs both', async () => {
    const dir = newPartitionDir();
    const log = PartitionLog.open(logOptions(dir, { indexIntervalBytes: 1024 }));
    const fsync = new FsyncScheduler('always', 0, () => [log], () => {});
    const answer = () => new Promise<unknown>((resolve) => fsync.afterAppend(log, resolve));
    fill(log, 20); // index entries that only a flush writes to the index file
    fillDisk(FILLER());

    expect(await answer()).toMatchObject({ code: 'STORAGE_ERROR', retriable: true, message: expect.stringMatching(/ENOSPC/) });
    expect(recoveryOffset(dir)).toBe(0);

    freeDisk();
    fill(log, 1);
    expect(await answer()).toBeUndefined();
    expect(recoveryOffset(dir)).toBe(210);
    fsync.close();
    log.close();
  });

  it('when a later segment\'s index could not be written, the segments before it in the same flush are synced again too', async () => {
    const dir = newPartitionDir();
    const log = PartitionLog.open(logOptions(dir, { segmentBytes: 8 * 1024, indexIntervalBytes: 1024 }));
    fill(log, 2);
    expect(await flushInBackground(log)).toBeUndefined(); // the first segment's index file now has a page with room
    fill(log, 6); // more entries for that page, then a roll: a second segment with an empty index file
    expect(log.highWatermark).toBe(80);
    fillDisk(FILLER());

    expect(await flushInBackground(log)).toMatchObject({ code: 'STORAGE_ERROR', retriable: true });
    expect(recoveryOffset(dir)).toBe(20);

    freeDisk();
    const synced = await filesSynced(async () => expect(await flushInBackground(log)).toBeUndefined());
    expect(synced).toContain(join(dir, '00000000000000000000.log'));
    expect(recoveryOffset(dir)).toBe(80);
    log.close();
  });
});
