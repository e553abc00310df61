import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Consumer, ConsumerOptions } from '../../src/groups/types.js';
import type { LogBackend } from '../../src/log/backend.js';
import { expectLogError } from '../log/conformance.js';
import { exactCover, fill, pollUntil, valuesOf } from './helpers.js';

/**
 * Consumer-group behaviour every log backend shares (the embedded engine, Apache Kafka), through
 * the LogBackend group API only. Members use a 300 ms session (unless the backend needs longer) so
 * expiries happen within a test.
 */
export interface GroupConformanceOptions {
  /** Members' session and heartbeat; default 300 ms and 50 ms (Kafka refuses sessions under 6 s). */
  memberTimeouts?: { sessionTimeoutMs: number; heartbeatIntervalMs: number };
  /** Polls of each member before a wait for the group to settle fails; default 500 (10 s at 20 ms). */
  pollRounds?: number;
  /** Where the suite creates its topics when the backend's cluster cannot (a mock without CreateTopics). */
  createTopic?: (name: string, partitions: number) => Promise<void>;
  /** Checks this backend's cluster or client cannot make, each with the reason; listed as skipped. */
  cannotCheck?: {
    /** describeGroup and listGroups. */
    describe?: string;
    /** A member that stops heartbeating without leaving. */
    silentMember?: string;
    /** Commits sent as a given member and generation. */
    memberCommits?: string;
    /** resetOffsets refused with GROUP_NOT_EMPTY while the group has members. */
    resetWithMembers?: string;
    /** resetOffsets of a group right after its members left. */
    resetAfterMembersLeft?: string;
    /** deleteGroup. */
    deleteGroup?: string;
  };
}

export function runGroupConformance(name: string, make: () => Promise<LogBackend>, options: GroupConformanceOptions = {}): void {
  describe(`consumer group conformance: ${name}`, () => {
    let backend: LogBackend;
    const open: Consumer[] = [];
    const run = randomUUID().slice(0, 8);
    let n = 0;
    const fresh = (label: string) => `gconf-${run}-${label}-${n++}`;
    const timeouts = options.memberTimeouts ?? { sessionTimeoutMs: 300, heartbeatIntervalMs: 50 };
    const rounds = options.pollRounds ?? 500;
    const member = (group: string, topic: string, extra: Partial<ConsumerOptions> = {}) => {
      const c = backend.createConsumer({ group, topics: [topic], ...timeouts, autoOffsetReset: 'earliest', ...extra });
      open.push(c);
      return c;
    };
    const newTopic = async (partitions: number, records: number) => {
      const topic = fresh('t');
      if (options.createTopic) {
        await options.createTopic(topic, partitions);
        await backend.describeTopic(topic);
      } else await backend.createTopic({ name: topic, partitions });
      if (records > 0) await fill(backend, topic, records);
      return topic;
    };

    beforeAll(async () => {
      backend = await make();
    });
    afterEach(async () => {
      await Promise.all(open.splice(0).map((c) => c.close()));
    });
    afterAll(() => backend?.shutdown());
    const cannot = options.cannotCheck ?? {};
    /** A check the backend cannot make is listed as skipped, with the reason in its title. */
    const itUnless = (reason: string | undefined, title: string, fn: () => Promise<void>) =>
      reason ? it.skip(`${title} [not checkable here: ${reason}]`, fn) : it(title, fn);

    /** A member that read the topic's 3 × 4 records and committed them. */
    const readAndCommit = async () => {
      const topic = await newTopic(3, 4);
      const group = fresh('g');
      const c = member(group, topic);
      const [read] = await pollUntil([c], (r) => r[0].length >= 12, { commit: true, rounds });
      return { topic, group, read };
    };

    it('a member reads every record once, and its commits become the group offsets', async () => {
      const { topic, group, read } = await readAndCommit();
      expect(valuesOf(read).sort()).toEqual(['0:0', '0:1', '0:2', '0:3', '1:0', '1:1', '1:2', '1:3', '2:0', '2:1', '2:2', '2:3']);
      expect(read.every((r) => r.topic === topic)).toBe(true);
      const offsets = await backend.fetchOffsets(group);
      expect(offsets.map((o) => [o.partition, o.offset]).sort()).toEqual([
        [0, 4],
        [1, 4],
        [2, 4],
      ]);
    });

    itUnless(cannot.describe, 'a group whose member committed everything is described with no lag, and listed', async () => {
      const { group } = await readAndCommit();
      const d = await backend.describeGroup(group);
      expect(d.totalLag).toBe(0);
      expect(d.members).toHaveLength(1);
      expect((await backend.listGroups()).map((g) => g.group)).toContain(group);
    });

    it('members split the partitions with no gap or overlap; when one leaves, the other takes them all', async () => {
      const topic = await newTopic(4, 0);
      const group = fresh('g');
      const [a, b] = [member(group, topic), member(group, topic)];
      await pollUntil([a, b], () => exactCover([a, b], topic, 4), { rounds });
      await b.close();
      await pollUntil([a], () => exactCover([a], topic, 4), { rounds });
    });

    itUnless(cannot.silentMember, 'a silent member is replaced after its session', async () => {
      const topic = await newTopic(4, 0);
      const group = fresh('g');
      const [a, b] = [member(group, topic), member(group, topic)];
      await pollUntil([a, b], () => exactCover([a, b], topic, 4), { rounds });
      await b.close({ leaveGroup: false });
      await pollUntil([a], () => exactCover([a], topic, 4), { rounds });
    });

    itUnless(cannot.memberCommits, 'refuses commits from a stale generation or an unknown member', async () => {
      const topic = await newTopic(2, 3);
      const group = fresh('g');
      const a = member(group, topic);
      await pollUntil([a], () => exactCover([a], topic, 2), { rounds });
      const stale = { memberId: a.memberId, generation: a.generation };
      const b = member(group, topic);
      await pollUntil([a, b], () => exactCover([a, b], topic, 2), { rounds });
      const offset = [{ topic, partition: 0, offset: 1 }];
      await expectLogError(backend.commitOffsets(group, offset, stale), 'ILLEGAL_GENERATION');
      await expectLogError(backend.commitOffsets(group, offset, { memberId: 'not-a-member', generation: a.generation }), 'UNKNOWN_MEMBER');
    });

    /** A group of two members on a 2-partition topic of 3 records each. */
    const twoMembers = async () => {
      const topic = await newTopic(2, 3);
      const group = fresh('g');
      const [a, b] = [member(group, topic), member(group, topic)];
      await pollUntil([a, b], () => exactCover([a, b], topic, 2), { rounds });
      return { topic, group };
    };

    itUnless(cannot.resetWithMembers, 'refuses an offset reset while members are present', async () => {
      const { topic, group } = await twoMembers();
      await expectLogError(backend.resetOffsets(group, { type: 'earliest' }, [topic]), 'GROUP_NOT_EMPTY');
    });

    it('resets the offsets of a group that only stores offsets', async () => {
      const topic = await newTopic(2, 3);
      const group = fresh('g');
      await backend.commitOffsets(group, [{ topic, partition: 0, offset: 1 }]);
      expect((await backend.fetchOffsets(group, [{ topic, partition: 0 }])).map((o) => o.offset)).toEqual([1]);
      const reset = await backend.resetOffsets(group, { type: 'latest' }, [topic]);
      expect(reset.map((o) => [o.partition, o.offset])).toEqual([
        [0, 3],
        [1, 3],
      ]);
      expect((await backend.fetchOffsets(group, [{ topic, partition: 0 }, { topic, partition: 1 }])).map((o) => o.offset)).toEqual([3, 3]);
    });

    itUnless(cannot.deleteGroup, 'deletes a group with its offsets once it has no members; refuses while it has some', async () => {
      const { topic, group } = await readAndCommit();
      await expectLogError(backend.deleteGroup(group), 'GROUP_NOT_EMPTY');
      await backend.commitOffsets(`${group}-kept`, [{ topic, partition: 0, offset: 1 }]);
      await Promise.all(open.splice(0).map((c) => c.close()));
      await backend.deleteGroup(group);
      expect(await backend.fetchOffsets(group)).toEqual([]);
      if (!cannot.describe) await expectLogError(backend.describeGroup(group), 'UNKNOWN_GROUP');
      // Other groups keep theirs; deleting a group that is gone is no error.
      expect((await backend.fetchOffsets(`${group}-kept`)).map((o) => o.offset)).toEqual([1]);
      await backend.deleteGroup(group);
    });

    itUnless(cannot.resetAfterMembersLeft, 'resets the offsets of a group whose members left', async () => {
      const { topic, group } = await twoMembers();
      await Promise.all(open.splice(0).map((c) => c.close()));
      const reset = await backend.resetOffsets(group, { type: 'latest' }, [topic]);
      expect(reset.map((o) => o.offset)).toEqual([3, 3]);
      expect((await backend.fetchOffsets(group, [{ topic, partition: 0 }, { topic, partition: 1 }])).map((o) => o.offset)).toEqual([3, 3]);
      if (!cannot.describe) expect((await backend.describeGroup(group)).totalLag).toBe(0);
    });

    itUnless(cannot.describe, 'names an unknown group in its error; a group left with no members and no offsets is gone', async () => {
      const err = await expectLogError(backend.describeGroup(fresh('nobody')), 'UNKNOWN_GROUP');
      expect(err.message).toContain('nobody');
      const topic = await newTopic(1, 0);
      const group = fresh('g');
      const c = member(group, topic);
      await pollUntil([c], () => exactCover([c], topic, 1), { rounds });
      expect((await backend.describeGroup(group)).members).toHaveLength(1);
      await c.close();
      await expectLogError(backend.describeGroup(group), 'UNKNOWN_GROUP');
      expect((await backend.listGroups()).map((g) => g.group)).not.toContain(group);
    });
  });
}
