import { beforeEach, describe, expect, it } from 'vitest';
import type { JoinGroupRequest } from '../../src/groups/protocol.js';
import { expectLogError } from '../log/conformance.js';
import { useSharedGroups } from './helpers.js';

/** The coordinator's protocol as a client speaks it: join, heartbeat, leave, commit. */
describe('group membership', () => {
  const { f, fresh } = useSharedGroups(async (fixture) => {
    await fixture.log.createTopic({ name: 't', partitions: 4 });
  });
  let group = '';
  beforeEach(() => {
    group = fresh('g');
  });

  const join = (overrides: Partial<JoinGroupRequest> = {}) =>
    f().coordinator.joinGroup({
      group,
      memberId: '',
      clientId: 'test',
      topics: ['t'],
      sessionTimeoutMs: 300,
      rebalanceTimeoutMs: 2_000,
      assignor: 'range',
      ...overrides,
    });

  it('a lone member gets every partition in generation 1', async () => {
    const m = await join();
    expect(m.generation).toBe(1);
    expect(m.leaderId).toBe(m.memberId);
    expect(m.assignment.map((tp) => tp.partition)).toEqual([0, 1, 2, 3]);
    expect((await f().coordinator.describeGroup(group)).state).toBe('Stable');
  });

  it('a second member starts a rebalance the first learns of, and both rejoin into a new generation', async () => {
    let told = 0;
    const a = await join({ onRebalance: () => told++ });
    const bJoin = join();
    expect(told).toBe(1);
    await expectLogError(f().coordinator.heartbeat(group, a.memberId, a.generation), 'REBALANCE_IN_PROGRESS');
    const [a2, b] = await Promise.all([join({ memberId: a.memberId }), bJoin]);
    expect(a2.generation).toBe(2);
    expect(b.generation).toBe(2);
    expect([...a2.assignment, ...b.assignment].map((tp) => tp.partition).sort()).toEqual([0, 1, 2, 3]);
    expect(a2.assignment).toHaveLength(2);
    await f().coordinator.heartbeat(group, a.memberId, 2);
  });

  it('refuses a commit from a stale generation or an unknown member, with a clear error', async () => {
    const a = await join();
    const bJoin = join();
    const a2 = await join({ memberId: a.memberId });
    await bJoin;
    const stale = await expectLogError(f().coordinator.commitOffsets(group, [{ topic: 't', partition: 0, offset: 1 }], { memberId: a.memberId, generation: a.generation }), 'ILLEGAL_GENERATION');
    expect(stale.message).toMatch(/generation 1 .* stale; the current one is 2/);
    await expectLogError(f().coordinator.commitOffsets(group, [{ topic: 't', partition: 0, offset: 1 }], { memberId: 'nobody', generation: 2 }), 'UNKNOWN_MEMBER');
    await expectLogError(f().coordinator.commitOffsets(group, [{ topic: 't', partition: 0, offset: 1 }]), 'GROUP_NOT_EMPTY');
    await f().coordinator.commitOffsets(group, [{ topic: 't', partition: 0, offset: 1 }], { memberId: a.memberId, generation: a2.generation });
    expect(await f().coordinator.fetchOffsets(group)).toMatchObject([{ topic: 't', partition: 0, offset: 1 }]);
  });

  it('keeps a member that heartbeats for many session timeouts, in the same generation with its partitions', async () => {
    const a = await join();
    const beat = setInterval(() => void f().coordinator.heartbeat(group, a.memberId, a.generation).catch(() => {}), 50);
    try {
      await new Promise((resolve) => setTimeout(resolve, 1_200)); // four sessions of 300 ms
      await f().coordinator.heartbeat(group, a.memberId, a.generation);
      const described = await f().coordinator.describeGroup(group);
      expect(described.state).toBe('Stable');
      expect(described.members.map((m) => [m.memberId, m.assignment.map((tp) => tp.partition)])).toEqual([[a.memberId, [0, 1, 2, 3]]]);
    } finally {
      clearInterval(beat);
    }
  });

  it('removes a member that stops heartbeating and gives its partitions to the others', async () => {
    let rebalanceStarted!: () => void;
    const dropped = new Promise<void>((resolve) => {
      rebalanceStarted = resolve;
    });
    const a = await join();
    const bJoin = join({ onRebalance: () => rebalanceStarted() });
    await join({ memberId: a.memberId });
    const b = await bJoin;
    // b heartbeats; a goes silent, is dropped after its 300 ms session, and b is told to rejoin.
    const beat = setInterval(() => void f().coordinator.heartbeat(group, b.memberId, b.generation).catch(() => {}), 50);
    try {
      await dropped;
      const b2 = await join({ memberId: b.memberId });
      expect(b2.assignment.map((tp) => tp.partition)).toEqual([0, 1, 2, 3]);
      await expectLogError(f().coordinator.heartbeat(group, a.memberId, b2.generation), 'UNKNOWN_MEMBER');
      expect((await f().coordinator.describeGroup(group)).members.map((m) => m.memberId)).toEqual([b.memberId]);
    } finally {
      clearInterval(beat);
    }
  });

  it('drops members that do not rejoin within the rebalance timeout, and reassigns a leaving member at once', async () => {
    const fast = { rebalanceTimeoutMs: 100 };
    const a = await join(fast);
    const bJoin = join(fast);
    await join({ memberId: a.memberId, ...fast });
    const b = await bJoin;
    // c joins; a rejoins, b never does: the rebalance completes without b after 100 ms.
    let told = 0;
    const cJoin = join(fast);
    const [a3, c] = await Promise.all([join({ memberId: a.memberId, ...fast, onRebalance: () => told++ }), cJoin]);
    expect(a3.generation).toBe(c.generation);
    expect([...a3.assignment, ...c.assignment].map((tp) => tp.partition).sort()).toEqual([0, 1, 2, 3]);
    await expectLogError(f().coordinator.heartbeat(group, b.memberId, b.generation), 'UNKNOWN_MEMBER');
    // c leaves: a is told at once (no waiting for a session timeout) and takes everything.
    await f().coordinator.leaveGroup(group, c.memberId);
    expect(told).toBe(1);
    const a4 = await join({ memberId: a.memberId, ...fast });
    expect(a4.assignment).toHaveLength(4);
  });

  it('keeps one assignor per group and checks names', async () => {
    await join();
    await expectLogError(join({ assignor: 'sticky' }), 'INVALID_REQUEST');
    await expectLogError(join({ group: '../etc' }), 'INVALID_REQUEST');
    await expectLogError(join({ memberId: 'made-up' }), 'UNKNOWN_MEMBER');
    expect(() => f().log.createConsumer({ group, heartbeatIntervalMs: 500, sessionTimeoutMs: 300 })).toThrow(/shorter than the session timeout/);
  });
});
