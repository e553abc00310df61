import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Consumer, ConsumerOptions } from '../../src/groups/types.js';
import type { LogBackend } from '../../src/log/backend.js';
import { expectLogError } from '../log/conformance.js';
import { exactCover, fill, pollUntil, valuesOf } from './helpers.js';

/**
 * Consumer-group behaviour every log backend shares (the embedded engine, Apache Kafka), through
 * the LogBackend group API only. Members use a 300 ms session so expiries happen within a test.
 */
export function runGroupConformance(name: string, make: () => Promise<LogBackend>): void {
  describe(`consumer group conformance: ${name}`, () => {
    let backend: LogBackend;
    const open: Consumer[] = [];
    const run = randomUUID().slice(0, 8);
    let n = 0;
    const fresh = (label: string) => `gconf-${run}-${label}-${n++}`;
    const member = (group: string, topic: string, extra: Partial<ConsumerOptions> = {}) => {
      const c = backend.createConsumer({ group, topics: [topic], sessionTimeoutMs: 300, heartbeatIntervalMs: 50, autoOffsetReset: 'earliest', ...extra });
      open.push(c);
      return c;
    };
    const newTopic = async (partitions: number, records: number) => {
      const topic = fresh('t');
      await backend.createTopic({ name: topic, partitions });
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

    it('a member reads every record once, and its commits leave the group with no lag', async () => {
      const topic = await newTopic(3, 4);
      const group = fresh('g');
      const c = member(group, topic);
      const [read] = await pollUntil([c], (r) => r[0].length >= 12, { commit: true });
      expect(valuesOf(read).sort()).toEqual(['0:0', '0:1', '0:2', '0:3', '1:0', '1:1', '1:2', '1:3', '2:0', '2:1', '2:2', '2:3']);
      expect(read.every((r) => r.topic === topic)).toBe(true);
      const offsets = await backend.fetchOffsets(group);
      expect(offsets.map((o) => [o.partition, o.offset]).sort()).toEqual([
        [0, 4],
        [1, 4],
        [2, 4],
      ]);
      const d = await backend.describeGroup(group);
      expect(d.totalLag).toBe(0);
      expect(d.members).toHaveLength(1);
      expect((await backend.listGroups()).map((g) => g.group)).toContain(group);
    });

    it('members split the partitions with no gap or overlap; a silent member is replaced after its session', async () => {
      const topic = await newTopic(4, 0);
      const group = fresh('g');
      const [a, b] = [member(group, topic), member(group, topic)];
      await pollUntil([a, b], () => exactCover([a, b], topic, 4));
      await b.close({ leaveGroup: false });
      await pollUntil([a], () => exactCover([a], topic, 4));
    });

    it('refuses commits from a stale generation or an unknown member, and resets while members are present', async () => {
      const topic = await newTopic(2, 3);
      const group = fresh('g');
      const a = member(group, topic);
      await pollUntil([a], () => exactCover([a], topic, 2));
      const stale = { memberId: a.memberId, generation: a.generation };
      const b = member(group, topic);
      await pollUntil([a, b], () => exactCover([a, b], topic, 2));
      const offset = [{ topic, partition: 0, offset: 1 }];
      await expectLogError(backend.commitOffsets(group, offset, stale), 'ILLEGAL_GENERATION');
      await expectLogError(backend.commitOffsets(group, offset, { memberId: 'not-a-member', generation: a.generation }), 'UNKNOWN_MEMBER');
      await expectLogError(backend.resetOffsets(group, { type: 'earliest' }, [topic]), 'GROUP_NOT_EMPTY');
      await Promise.all(open.splice(0).map((c) => c.close()));
      const reset = await backend.resetOffsets(group, { type: 'latest' }, [topic]);
      expect(reset.map((o) => o.offset)).toEqual([3, 3]);
      expect((await backend.describeGroup(group)).totalLag).toBe(0);
    });

    it('names an unknown group in its error; a group left with no members and no offsets is gone', async () => {
      const err = await expectLogError(backend.describeGroup(fresh('nobody')), 'UNKNOWN_GROUP');
      expect(err.message).toContain('nobody');
      const topic = await newTopic(1, 0);
      const group = fresh('g');
      const c = member(group, topic);
      await pollUntil([c], () => exactCover([c], topic, 1));
      expect((await backend.describeGroup(group)).members).toHaveLength(1);
      await c.close();
      await expectLogError(backend.describeGroup(group), 'UNKNOWN_GROUP');
      expect((await backend.listGroups()).map((g) => g.group)).not.toContain(group);
    });
  });
}
