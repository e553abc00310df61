/**
 * Runs on: main thread (tests). A topic of small segments kept for long holds two descriptors per
 * segment, and can take every descriptor the process has: writes then fail with EMFILE, and
 * deleting that topic is the way out without a restart (a restart opens the same segments again).
 * Its first step saves cluster.json, which needs a descriptor: the deletion must still go through,
 * and so must lowering that topic's retention, the other way out (a real EMFILE, the soft limit
 * lowered with prlimit; skipped where that is not allowed, failing under CI=true).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { capability } from '../capability.js';
import { withDescriptorsLeftWhile } from '../fd-limit.js';
import { expectLogError, readAll, textRecords, values } from './conformance.js';
import { expectHogGoneAndLogWrites, startEmbedded } from './helpers.js';

const canLimit = process.platform === 'linux' && capability("changing a process's open-file limit", ['prlimit', '--pid', String(process.pid), '--nofile']);
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

describe.runIf(canLimit)('deleting a topic when the process has no file descriptors left', () => {
  it('goes through although cluster.json cannot be saved at first, frees the descriptors of its segments, and the log takes data again', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tributary-delete-fds-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const backend = await startEmbedded(dir, { brokers: 1 });
    cleanups.unshift(() => backend.shutdown());
    await backend.createTopic({ name: 'hog', partitions: 1, segmentBytes: 1024, retentionMs: -1 });
    await backend.createTopic({ name: 'keeper', partitions: 1, segmentBytes: 1024 });
    await backend.produce('keeper', 0, textRecords(['kept']));
    // 100 segments of one batch each: 200 descriptors.
    for (let i = 0; i < 100; i++) await backend.produce('hog', 0, textRecords([Buffer.alloc(900, 120).toString()]));

    await withDescriptorsLeftWhile(0, async () => {
      // Not a descriptor left for anyone: the next segment of another topic cannot open.
      await expectLogError(backend.produce('keeper', 0, textRecords([Buffer.alloc(1200, 120).toString()])), 'STORAGE_ERROR');
      await backend.deleteTopic('hog');
    });
    await expectHogGoneAndLogWrites(backend);
  });

  it("lowering the retention of the topic that holds them goes through too, as on a full disk: its segments go first, then the setting is saved", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tributary-retention-fds-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const backend = await startEmbedded(dir, { brokers: 1 });
    cleanups.unshift(() => backend.shutdown());
    await backend.createTopic({ name: 'hog', partitions: 1, segmentBytes: 1024, retentionMs: -1 });
    for (let i = 0; i < 100; i++) await backend.produce('hog', 0, textRecords([`${i}`.padEnd(900, '.')]));

    const altered = await withDescriptorsLeftWhile(0, () => backend.updateTopic('hog', { retentionBytes: 0 }));
    expect(altered.settings.retentionBytes).toBe(0);
    expect(altered.partitions[0].logStartOffset).toBe(99);
    await backend.produce('hog', 0, textRecords(['after']));
    expect(values(await readAll(backend, 'hog', 0, 99))).toEqual(['99'.padEnd(900, '.'), 'after']);
  });
});
