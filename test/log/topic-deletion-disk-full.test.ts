/**
 * Runs on: main thread (tests). Deleting a topic is how an operator makes room on a full disk, yet
 * its first step saves cluster.json, which needs some: on a disk that is full to the last page the
 * deletion must still go through (a real tmpfs filled up; skipped where mounting is not allowed,
 * failing under CI=true).
 */
import { join } from 'node:path';
import { afterEach, describe, it } from 'vitest';
import { canMountSmallDisk, fillDisk, mountSmallDisk } from '../small-disk.js';
import { expectLogError, textRecords } from './conformance.js';
import { expectHogGoneAndLogWrites, startEmbedded } from './helpers.js';

const canMount = canMountSmallDisk();
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

describe.runIf(canMount)('deleting a topic on a full disk (a 4 MiB tmpfs)', () => {
  it('goes through although cluster.json cannot be saved at first, frees the space, and the log takes data again without a restart', async () => {
    const disk = mountSmallDisk('4m');
    cleanups.push(() => disk.unmount());
    const backend = await startEmbedded(join(disk.path, 'data'), { brokers: 1 });
    cleanups.unshift(() => backend.shutdown());
    await backend.createTopic({ name: 'hog', partitions: 1, segmentBytes: 64 * 1024 });
    await backend.createTopic({ name: 'keeper', partitions: 1 });
    await backend.produce('keeper', 0, textRecords(['kept']));
    const chunk = textRecords([Buffer.alloc(16 * 1024, 120).toString()]);
    for (;;) {
      const failed = await backend.produce('hog', 0, chunk).then(
        () => undefined,
        (err: unknown) => err,
      );
      if (failed) break;
    }
    // Not a page left for anyone.
    fillDisk(join(disk.path, 'other'), 512);
    await expectLogError(backend.produce('keeper', 0, chunk), 'STORAGE_ERROR');

    await backend.deleteTopic('hog');
    await expectHogGoneAndLogWrites(backend);
  });
});
