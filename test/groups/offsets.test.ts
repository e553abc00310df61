import { appendFileSync, mkdirSync, readFileSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32c } from '@node-rs/crc32';
import { describe, expect, it } from 'vitest';
import { OffsetStore } from '../../src/groups/offset-store.js';
import { createLogger, silentLogger } from '../../src/telemetry/logger.js';
import { expectLogError } from '../log/conformance.js';
import { useDataDirs } from '../log/helpers.js';
import { consumer, fill, startGroups, useSharedGroups } from './helpers.js';

describe('group offsets, lag and resets', () => {
  const { f, fresh } = useSharedGroups();

  it('reports committed offsets, lag per partition and per group, members, and metrics', async () => {
    const topic = fresh('lag');
    const group = fresh('g');
    await f().log.createTopic({ name: topic, partitions: 2 });
    await fill(f().log, topic, 30);
    const c = consumer(f(), { group, topics: [topic], clientId: 'lagger' });
    try {
      const got = await c.poll({ maxRecords: 10, maxWaitMs: 2_000 });
      expect(got).toHaveLength(10);
      await c.commit();
      const d = await f().log.describeGroup(group);
      expect(d).toMatchObject({ group, state: 'Stable', generation: 1, assignor: 'sticky' });
      expect(d.members).toEqual([{ memberId: c.memberId, clientId: 'lagger', topics: [topic], assignment: [{ topic, partition: 0 }, { topic, partition: 1 }] }]);
      const p = got[0].partition;
      expect(d.partitions.find((x) => x.partition === p)).toEqual({ topic, partition: p, committedOffset: 10, highWatermark: 30, lag: 20 });
      expect(d.totalLag).toBe(20);
      expect(await f().log.listGroups()).toContainEqual({ group, state: 'Stable', members: 1, totalLag: 20 });
      const text = await f().telemetry.metricsText();
      expect(text).toContain(`tributary_group_lag_records{group="${group}",topic="${topic}",partition="${p}"} 20`);
      expect(text).toContain(`tributary_group_members{group="${group}"} 1`);
      expect(text).toMatch(new RegExp(`tributary_group_rebalances_total\\{group="${group}"\\} 1`));
    } finally {
      await c.close();
    }
    expect((await f().log.describeGroup(group)).state).toBe('Empty');
    await expectLogError(f().log.describeGroup('never-seen'), 'UNKNOWN_GROUP');
  });

  it('forgets a group whose members all left without committing, its metric series with it', async () => {
    const topic = fresh('uncommitted');
    await f().log.createTopic({ name: topic, partitions: 2 });
    await fill(f().log, topic, 5);
    // Console consumers and one-off tools: each joins a group of its own, reads, leaves, commits nothing.
    const groups = Array.from({ length: 5 }, () => fresh('once'));
    for (const group of groups) {
      const c = consumer(f(), { group, topics: [topic] });
      expect(await c.poll({ maxWaitMs: 2_000 })).not.toHaveLength(0);
      expect(await f().telemetry.metricsText()).toContain(`tributary_group_rebalances_total{group="${group}"} 1`);
      await c.close();
    }
    const listed = (await f().log.listGroups()).map((g) => g.group);
    const text = await f().telemetry.metricsText();
    for (const group of groups) {
      expect(listed).not.toContain(group);
      expect(text).not.toContain(`group="${group}"`);
    }
  });

  it('resets offsets to earliest, latest, a timestamp or an offset, only while the group has no members', async () => {
    const topic = fresh('reset');
    const group = fresh('g');
    await f().log.createTopic({ name: topic, partitions: 1 });
    await f().log.produce(topic, 0, [1_000, 2_000, 3_000, 4_000].map((timestamp) => ({ value: Buffer.from(String(timestamp)), timestamp })));
    const c = consumer(f(), { group, topics: [topic] });
    await c.poll({ maxWaitMs: 2_000 });
    const refused = await expectLogError(f().log.resetOffsets(group, { type: 'earliest' }, [topic]), 'GROUP_NOT_EMPTY');
    expect(refused.message).toMatch(/1 active member;/);
    await c.commit();
    await c.close();

    const offsetAfter = async (target: Parameters<ReturnType<typeof f>['log']['resetOffsets']>[1]) => (await f().log.resetOffsets(group, target))[0].offset;
    expect(await offsetAfter({ type: 'earliest' })).toBe(0);
    expect(await offsetAfter({ type: 'latest' })).toBe(4);
    expect(await offsetAfter({ type: 'timestamp', timestamp: 2_500 })).toBe(2);
    expect(await offsetAfter({ type: 'offset', offset: 1 })).toBe(1);
    expect(await offsetAfter({ type: 'offset', offset: 99 })).toBe(4);
    expect((await f().log.describeGroup(group)).totalLag).toBe(0);
    await f().log.resetOffsets(group, { type: 'offset', offset: 1 });
    // The next member starts at the reset offset.
    const next = consumer(f(), { group, topics: [topic] });
    try {
      expect((await next.poll({ maxWaitMs: 2_000 }))[0].offset).toBe(1);
    } finally {
      await next.close();
    }
    await expectLogError(f().log.resetOffsets(fresh('empty'), { type: 'earliest' }), 'INVALID_REQUEST');
  });

  it('refuses commits to topics or partitions that do not exist, and bad offsets', async () => {
    const topic = fresh('checks');
    await f().log.createTopic({ name: topic, partitions: 2 });
    await expectLogError(f().log.commitOffsets('g', [{ topic: 'nope', partition: 0, offset: 1 }]), 'UNKNOWN_TOPIC');
    const bad = await expectLogError(f().log.commitOffsets('g', [{ topic, partition: 2, offset: 1 }]), 'UNKNOWN_PARTITION');
    expect(bad.message).toContain('partitions 0..1');
    await expectLogError(f().log.commitOffsets('g', [{ topic, partition: 0, offset: -1 }]), 'INVALID_REQUEST');
    await expectLogError(f().log.commitOffsets('bad/name', [{ topic, partition: 0, offset: 1 }]), 'INVALID_REQUEST');
  });
});

describe('offset store', () => {
  const newDir = useDataDirs();
  const commitAll = async (store: OffsetStore, count: number) => {
    await Promise.all(Array.from({ length: count }, (_, i) => store.commit('g', [{ topic: 't', partition: i % 3, offset: i }])));
  };

  it('keeps the latest offsets across reopen, through snapshots that empty the journal', async () => {
    const dir = newDir();
    const store = new OffsetStore({ dir, logger: silentLogger, snapshotEveryBytes: 2_000 });
    await store.open();
    await commitAll(store, 100);
    await store.close();
    expect(statSync(join(dir, 'offsets.journal')).size).toBeLessThan(2_000);
    expect(readFileSync(join(dir, 'offsets.snapshot'), 'utf8').trim().split('\n')).toHaveLength(3);
    const again = new OffsetStore({ dir, logger: silentLogger });
    await again.open();
    expect(again.fetch('g').map((o) => [o.partition, o.offset]).sort()).toEqual([
      [0, 99],
      [1, 97],
      [2, 98],
    ]);
    await again.close();
  });

  it('snapshots many groups\' offsets no more often than the journal grows by their size, so commits do not rewrite them all every few KiB', async () => {
    const dir = newDir();
    const store = new OffsetStore({ dir, logger: silentLogger, snapshotEveryBytes: 4_000 });
    await store.open();
    // 2000 offsets at rest: a snapshot of about 130 kB, 30 times the journal's threshold.
    for (let g = 0; g < 20; g++) {
      await store.commit(`idle-${g}`, Array.from({ length: 100 }, (_, p) => ({ topic: 'wide', partition: p, offset: 1 })));
    }
    // A snapshot empties the journal: each time its size drops, one was written.
    const journalSize = () => statSync(join(dir, 'offsets.journal')).size;
    let snapshots = 0;
    let last = journalSize();
    const journalAtRest = last;
    // One busy group commits 2500 times (about 150 kB of journal).
    for (let i = 0; i < 2_500; i++) {
      await store.commit('busy', [{ topic: 'wide', partition: 0, offset: i }]);
      const now = journalSize();
      if (now < last) snapshots++;
      last = now;
    }
    const snapshotBytes = statSync(join(dir, 'offsets.snapshot')).size;
    expect(snapshotBytes).toBeGreaterThan(100_000);
    // Each snapshot is written once the journal holds as many bytes as the last one: at most a few.
    expect(snapshots).toBeLessThanOrEqual(3);
    expect(statSync(join(dir, 'offsets.journal')).size).toBeLessThanOrEqual(Math.max(journalAtRest, snapshotBytes) + 100);
    await store.close();
    const again = new OffsetStore({ dir, logger: silentLogger });
    await again.open();
    expect(again.fetch('busy')).toMatchObject([{ topic: 'wide', partition: 0, offset: 2_499 }]);
    expect(again.fetch('idle-19')).toHaveLength(100);
    await again.close();
  });

  it('resolves a commit only after the journal line is synced to disk (fdatasync), so it survives a machine crash', async () => {
    const dir = newDir();
    const store = new OffsetStore({ dir, logger: silentLogger });
    await store.open();
    // Every FileHandle's datasync, observed: the real call still runs.
    const probe = await open(join(dir, 'probe'), 'w');
    const proto = Object.getPrototypeOf(probe) as { datasync(this: { fd: number }): Promise<void> };
    await probe.close();
    const original = proto.datasync;
    const events: string[] = [];
    proto.datasync = async function (this: { fd: number }) {
      const path = readlinkSync(`/proc/self/fd/${this.fd}`);
      await original.call(this);
      events.push(`synced ${path}`);
    };
    try {
      await store.commit('g', [{ topic: 't', partition: 0, offset: 42 }]);
      events.push('committed');
    } finally {
      proto.datasync = original;
      await store.close();
    }
    const synced = events.indexOf(`synced ${join(dir, 'offsets.journal')}`);
    expect(synced, events.join(', ')).toBeGreaterThanOrEqual(0);
    expect(synced, events.join(', ')).toBeLessThan(events.indexOf('committed'));
  });

  it('a deleted group stays deleted across reopen, in the journal and through a snapshot', async () => {
    const dir = newDir();
    const store = new OffsetStore({ dir, logger: silentLogger });
    await store.open();
    await store.commit('gone', [{ topic: 't', partition: 0, offset: 5 }]);
    await store.commit('kept', [{ topic: 't', partition: 0, offset: 6 }]);
    await store.forget('gone');
    expect(store.groups()).toEqual(['kept']);
    await store.close();
    const reopened = new OffsetStore({ dir, logger: silentLogger, snapshotEveryBytes: 1 });
    await reopened.open();
    expect(reopened.fetch('gone')).toEqual([]);
    // A commit after the deletion starts the group afresh; the snapshot it triggers keeps that.
    await reopened.commit('gone', [{ topic: 't', partition: 1, offset: 2 }]);
    await reopened.close();
    const last = new OffsetStore({ dir, logger: silentLogger });
    await last.open();
    expect(last.fetch('gone').map((o) => [o.partition, o.offset])).toEqual([[1, 2]]);
    expect(last.fetch('kept').map((o) => o.offset)).toEqual([6]);
    await last.close();
  });

  it('cuts a torn or corrupt journal tail on open and reports it', async () => {
    const dir = newDir();
    const store = new OffsetStore({ dir, logger: silentLogger });
    await store.open();
    await store.commit('g', [{ topic: 't', partition: 0, offset: 5 }]);
    await store.close();
    const journal = join(dir, 'offsets.journal');
    const good = statSync(journal).size;
    appendFileSync(journal, '0badc0de {"g":"g","t":"t","p":0,"o":6,"ts":1}\n{"g":"g","t":"t"');
    const lines: string[] = [];
    const reopened = new OffsetStore({ dir, logger: createLogger('t', { level: 'warn', write: (l) => lines.push(l) }) });
    await reopened.open();
    expect(reopened.fetch('g')).toMatchObject([{ topic: 't', partition: 0, offset: 5 }]);
    expect(statSync(journal).size).toBe(good);
    expect(lines.join()).toMatch(/torn tail .*"truncatedBytes":\d+/);
    // Commits after the cut are readable again.
    await reopened.commit('g', [{ topic: 't', partition: 0, offset: 7 }]);
    await reopened.close();
    const last = new OffsetStore({ dir, logger: silentLogger });
    await last.open();
    expect(last.fetch('g')[0].offset).toBe(7);
    await last.close();
  });

  it.each(['offsets.journal', 'offsets.snapshot'])('%s that cannot be read fails the open naming the file', async (name) => {
    const dir = newDir();
    mkdirSync(join(dir, name), { recursive: true });
    const store = new OffsetStore({ dir, logger: silentLogger });
    await expect(store.open()).rejects.toThrow(join(dir, name));
    await store.close();
  });

  // A line whose checksum holds was written whole, by some version: one this version cannot read
  // is another version's entry (a rollback after an upgrade), never damage. Applied as a commit,
  // it showed up as a partition without topic or number in the group's offsets.
  it.each([
    ['an entry of a kind it does not know', '{"g":"g","x":2,"ts":1}'],
    ['a commit without a partition', '{"g":"g","t":"t","o":3,"ts":1}'],
    ['JSON that is not an object', '[1,2]'],
    ['a line that is not JSON', '{"g":'],
  ])('%s with a valid checksum in the journal or snapshot refuses the open naming the file and the line', async (_what, json) => {
    for (const name of ['offsets.journal', 'offsets.snapshot']) {
      const dir = newDir();
      const good = JSON.stringify({ g: 'g', t: 't', p: 0, o: 5, ts: 1 });
      const line = (j: string) => `${crc32c(j).toString(16).padStart(8, '0')} ${j}\n`;
      writeFileSync(join(dir, name), line(good) + line(json) + line(good));
      const store = new OffsetStore({ dir, logger: silentLogger });
      const opened = store.open();
      await expect(opened).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
      await expect(opened).rejects.toThrow(`${join(dir, name)} line 2 is not an entry this version of Tributary reads`);
      await store.close();
      expect(readFileSync(join(dir, name), 'utf8')).toBe(line(good) + line(json) + line(good));
    }
  });

  it('a commit with keys a later version added is read as the commit it is (a rollback keeps the offsets)', async () => {
    const dir = newDir();
    const json = JSON.stringify({ g: 'g', t: 't', p: 1, o: 9, m: 'meta', ts: 1, e: 4 });
    writeFileSync(join(dir, 'offsets.journal'), `${crc32c(json).toString(16).padStart(8, '0')} ${json}\n`);
    const store = new OffsetStore({ dir, logger: silentLogger });
    await store.open();
    expect(store.fetch('g').map((o) => [o.topic, o.partition, o.offset, o.metadata])).toEqual([['t', 1, 9, 'meta']]);
    await store.close();
  });

  it('a damaged line in the middle of the journal loses only that commit, not the ones after it', async () => {
    const dir = newDir();
    const store = new OffsetStore({ dir, logger: silentLogger });
    await store.open();
    for (let offset = 1; offset <= 20; offset++) await store.commit('g', [{ topic: 't', partition: offset % 2, offset }]);
    await store.close();
    // A flipped byte (not valid UTF-8) in the fifth line, as a failing disk leaves it.
    const journal = join(dir, 'offsets.journal');
    const bytes = readFileSync(journal);
    let at = 0;
    for (let line = 0; line < 4; line++) at = bytes.indexOf(0x0a, at) + 1;
    bytes[at + 20] = 0xff;
    writeFileSync(journal, bytes);

    const lines: string[] = [];
    const reopened = new OffsetStore({ dir, logger: createLogger('t', { level: 'warn', write: (l) => lines.push(l) }) });
    await reopened.open();
    expect(reopened.fetch('g').map((o) => [o.partition, o.offset]).sort()).toEqual([
      [0, 20],
      [1, 19],
    ]);
    expect(lines.join()).toMatch(/damaged line.*"damagedLines":1/);
    expect(statSync(journal).size).toBe(bytes.length);
    await reopened.commit('g', [{ topic: 't', partition: 0, offset: 22 }]);
    await reopened.close();
    const last = new OffsetStore({ dir, logger: silentLogger });
    await last.open();
    expect(last.fetch('g').map((o) => [o.partition, o.offset]).sort()).toEqual([
      [0, 22],
      [1, 19],
    ]);
    await last.close();
  });
});

describe('offset retention (groups.offsets_retention)', () => {
  const newDir = useDataDirs();
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  it('forgets the offsets of groups that stayed empty and committed nothing for the retention, durably, and keeps the others', async () => {
    const dir = newDir();
    const retention = { offsets_retention: 600, offsets_retention_check_interval: 100 };
    let f = await startGroups(dir, retention);
    try {
      await f.log.createTopic({ name: 't', partitions: 2 });
      await fill(f.log, 't', 10);
      // A thousand groups that each committed once and left: the store must not keep them forever.
      await Promise.all(Array.from({ length: 1_000 }, (_, i) => f.coordinator.commitOffsets(`once-${i}`, [{ topic: 't', partition: 0, offset: 5 }])));
      const member = consumer(f, { group: 'active', topics: ['t'], clientId: 'active' });
      try {
        await member.poll({ maxRecords: 5, maxWaitMs: 2_000 });
        await member.commit();
        expect((await f.log.listGroups()).length).toBe(1_001);
        await sleep(1_200);
        // The member keeps its group (and offsets) however old its last commit.
        expect((await f.log.listGroups()).map((g) => g.group)).toEqual(['active']);
        expect(await f.coordinator.fetchOffsets('once-0')).toEqual([]);
        expect(await f.telemetry.metricsText()).not.toContain('group="once-0"');
      } finally {
        await member.close();
      }
      // Once it is empty, its offsets are kept for the retention from then, not from its last commit.
      await sleep(300);
      expect((await f.coordinator.fetchOffsets('active')).length).toBeGreaterThan(0);
      await sleep(800);
      expect(await f.log.listGroups()).toEqual([]);
    } finally {
      await f.stop();
    }
    f = await startGroups(dir, retention);
    try {
      expect(await f.log.listGroups()).toEqual([]);
    } finally {
      await f.stop();
    }
  }, 30_000);

  it('keeps every offset when the retention is 0', async () => {
    const f = await startGroups(newDir(), { offsets_retention: 0, offsets_retention_check_interval: 50 });
    try {
      await f.log.createTopic({ name: 't', partitions: 1 });
      await f.coordinator.commitOffsets('kept', [{ topic: 't', partition: 0, offset: 0 }]);
      await sleep(300);
      expect(await f.log.listGroups()).toEqual([{ group: 'kept', state: 'Empty', members: 0, totalLag: 0 }]);
    } finally {
      await f.stop();
    }
  });
});
