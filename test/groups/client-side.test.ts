import { beforeEach, describe, expect, it } from 'vitest';
import type { ClientSideJoin, JoinGroupRequest } from '../../src/groups/protocol.js';
import { expectLogError } from '../log/conformance.js';
import { useSharedGroups } from './helpers.js';

/** Groups of Kafka clients: they assign client-side, the coordinator relays the leader's assignment. */
describe('client-side assignment in the group coordinator', () => {
  const { f, fresh } = useSharedGroups(async (fixture) => {
    await fixture.log.createTopic({ name: 't', partitions: 4 });
  });
  let group = '';
  beforeEach(() => {
    group = fresh('kg');
  });

  const clientSide = (overrides: Partial<ClientSideJoin> = {}): ClientSideJoin => ({
    protocolType: 'consumer',
    protocols: [
      { name: 'range', metadata: Buffer.from('range-meta') },
      { name: 'roundrobin', metadata: Buffer.from('rr-meta') },
    ],
    groupInstanceId: null,
    clientHost: '/127.0.0.1',
    ...overrides,
  });
  const join = (overrides: Partial<JoinGroupRequest> = {}, side: Partial<ClientSideJoin> = {}) =>
    f().coordinator.joinGroup({
      group,
      memberId: '',
      clientId: 'kafka-client',
      topics: ['t'],
      sessionTimeoutMs: 1_000,
      rebalanceTimeoutMs: 500,
      assignor: 'range',
      clientSide: clientSide(side),
      ...overrides,
    });
  const tp = (partition: number) => ({ topic: 't', partition });

  it("hands the leader every member's metadata and relays its assignment through syncGroup", async () => {
    const a = await join();
    expect(a.members?.map((m) => m.metadata.toString())).toEqual(['range-meta']);
    await f().coordinator.syncGroup(group, a.memberId, a.generation, [{ memberId: a.memberId, assignment: Buffer.from('all'), partitions: [0, 1, 2, 3].map(tp) }]);

    const bJoining = join({}, { protocols: [{ name: 'roundrobin', metadata: Buffer.from('b-rr') }] });
    await expectLogError(f().coordinator.heartbeat(group, a.memberId, a.generation), 'REBALANCE_IN_PROGRESS');
    const [a2, b] = await Promise.all([join({ memberId: a.memberId }), bJoining]);
    // The one protocol both support; the leader stays the leader and alone gets the members.
    expect(a2.protocolName).toBe('roundrobin');
    expect(a2.leaderId).toBe(a.memberId);
    expect(b.leaderId).toBe(a.memberId);
    expect(a2.members?.map((m) => [m.memberId, m.metadata.toString()])).toEqual([
      [a.memberId, 'rr-meta'],
      [b.memberId, 'b-rr'],
    ]);
    expect(b.members).toEqual([]);
    expect((await f().coordinator.describeGroup(group)).state).toBe('CompletingRebalance');
    // Heartbeats are fine while the leader computes the assignment; a commit is not (as Kafka).
    await f().coordinator.heartbeat(group, b.memberId, b.generation);
    await expectLogError(f().coordinator.commitOffsets(group, [{ ...tp(2), offset: 1 }], { memberId: b.memberId, generation: b.generation }), 'REBALANCE_IN_PROGRESS');

    const bSync = f().coordinator.syncGroup(group, b.memberId, b.generation, []);
    const aSync = await f().coordinator.syncGroup(group, a.memberId, a2.generation, [
      { memberId: a.memberId, assignment: Buffer.from('for-a'), partitions: [tp(0), tp(1)] },
      { memberId: b.memberId, assignment: Buffer.from('for-b'), partitions: [tp(2), tp(3)] },
    ]);
    expect(aSync.toString()).toBe('for-a');
    expect((await bSync).toString()).toBe('for-b');

    const described = await f().coordinator.describeGroup(group);
    expect(described.state).toBe('Stable');
    expect(described.assignor).toBe('roundrobin');
    expect(Object.fromEntries(described.members.map((m) => [m.memberId, m.assignment.map((x) => x.partition)]))).toEqual({
      [a.memberId]: [0, 1],
      [b.memberId]: [2, 3],
    });
    expect(f().coordinator.membership(group)?.members.map((m) => m.assignment.toString())).toEqual(['for-a', 'for-b']);
  });

  it('refuses a member that shares no protocol with the group, and mixing Kafka clients with pipeline members', async () => {
    const a = await join();
    await expectLogError(join({}, { protocols: [{ name: 'cooperative-sticky', metadata: Buffer.alloc(0) }] }), 'INCONSISTENT_GROUP_PROTOCOL');
    await expectLogError(join({}, { protocolType: 'connect' }), 'INCONSISTENT_GROUP_PROTOCOL');
    await expectLogError(join({ clientSide: undefined }), 'INCONSISTENT_GROUP_PROTOCOL');
    // The refused joins changed nothing: the member still syncs into the generation it has.
    const assignment = await f().coordinator.syncGroup(group, a.memberId, a.generation, [{ memberId: a.memberId, assignment: Buffer.from('x'), partitions: [] }]);
    expect(assignment.toString()).toBe('x');
  });

  it('leaves no group behind for a join it refuses, so refused joins under many group ids keep nothing', async () => {
    for (let i = 0; i < 50; i++) {
      await expectLogError(f().coordinator.joinGroup({ group: `${group}-refused-${i}`, memberId: '', clientId: 'bad', topics: [], sessionTimeoutMs: 1_000, rebalanceTimeoutMs: 500, assignor: 'range', clientSide: clientSide({ protocols: [] }) }), 'INCONSISTENT_GROUP_PROTOCOL');
      await expectLogError(f().coordinator.joinGroup({ group: `${group}-unknown-${i}`, memberId: 'gone', clientId: 'bad', topics: [], sessionTimeoutMs: 1_000, rebalanceTimeoutMs: 500, assignor: 'range', clientSide: clientSide() }), 'UNKNOWN_MEMBER');
    }
    expect((await f().coordinator.listGroups()).filter((g) => g.group.startsWith(`${group}-`))).toEqual([]);
  });

  it('keeps a member that waits in SyncGroup for a slow leader in the group past its session timeout, as Kafka does', async () => {
    const slow = { sessionTimeoutMs: 5_000, rebalanceTimeoutMs: 5_000 };
    const a = await join(slow);
    const bJoining = join({ sessionTimeoutMs: 300, rebalanceTimeoutMs: 5_000 });
    const [a2, b] = await Promise.all([join({ ...slow, memberId: a.memberId }), bJoining]);
    // b waits for its assignment (clients send no heartbeat meanwhile); the leader takes longer than b's session.
    const waiting = f().coordinator.syncGroup(group, b.memberId, b.generation, []);
    await new Promise((r) => setTimeout(r, 700));
    await f().coordinator.syncGroup(group, a.memberId, a2.generation, [
      { memberId: a.memberId, assignment: Buffer.from('for-a'), partitions: [tp(0), tp(1)] },
      { memberId: b.memberId, assignment: Buffer.from('for-b'), partitions: [tp(2), tp(3)] },
    ]);
    expect((await waiting).toString()).toBe('for-b');
    // Its session runs again from the answer.
    await f().coordinator.heartbeat(group, b.memberId, b.generation);
    expect((await f().coordinator.describeGroup(group)).members).toHaveLength(2);
    await f().coordinator.leaveGroup(group, a.memberId);
    await f().coordinator.leaveGroup(group, b.memberId);
  });

  it('drops a leader that never sends the assignment, after the rebalance timeout, and the others rejoin without it', async () => {
    const a = await join();
    const b = join();
    const [a2, b2] = await Promise.all([join({ memberId: a.memberId }), b]);
    expect(a2.leaderId).toBe(a.memberId);
    // b syncs and waits; the leader never does.
    const waiting = f().coordinator.syncGroup(group, b2.memberId, b2.generation, []);
    await expectLogError(waiting, 'REBALANCE_IN_PROGRESS');
    const b3 = await join({ memberId: b2.memberId });
    expect(b3.leaderId).toBe(b2.memberId);
    expect(b3.members?.map((m) => m.memberId)).toEqual([b2.memberId]);
    await expectLogError(f().coordinator.heartbeat(group, a.memberId, a2.generation), 'UNKNOWN_MEMBER');
  });

  it('gives a static member that rejoins with its group.instance.id a new id and its old assignment without a rebalance, fencing the old id', async () => {
    const a = await join({}, { groupInstanceId: 'host-1' });
    await f().coordinator.syncGroup(group, a.memberId, a.generation, [{ memberId: a.memberId, assignment: Buffer.from('for-host-1'), partitions: [0, 1, 2, 3].map(tp) }]);
    expect(f().coordinator.memberIdOfInstance(group, 'host-1')).toBe(a.memberId);

    const again = await join({}, { groupInstanceId: 'host-1' });
    expect(again.memberId).not.toBe(a.memberId);
    expect(again.generation).toBe(a.generation);
    expect(again.leaderId).toBe(again.memberId);
    expect(f().coordinator.memberIdOfInstance(group, 'host-1')).toBe(again.memberId);
    expect((await f().coordinator.syncGroup(group, again.memberId, again.generation, [])).toString()).toBe('for-host-1');
    const described = await f().coordinator.describeGroup(group);
    expect(described.state).toBe('Stable');
    expect(described.members.map((m) => m.memberId)).toEqual([again.memberId]);

    // The replaced process, still running, is told it is fenced.
    expect(() => f().coordinator.checkInstance(group, a.memberId, 'host-1')).toThrow(expect.objectContaining({ code: 'FENCED_INSTANCE' }));
    f().coordinator.checkInstance(group, again.memberId, 'host-1');
  });
});
