// Runs on: main thread.
import { counted } from '../counted.js';
import { randomUUID } from 'node:crypto';
import { TributaryError } from '../errors.js';
import type { Logger } from '../telemetry/logger.js';
import { assignorByName } from './assignors/index.js';
import { checkCompatible, chooseProtocol, inconsistentProtocol, metadataFor } from './client-side.js';
import { leaderView, type Member, NO_ASSIGNMENT } from './group-member.js';
import type { GroupMembership, JoinGroupRequest, JoinGroupResult, MemberAssignment } from './protocol.js';
import { checkInstance, memberOfInstance, replaceStaticMember, staticMember } from './static-membership.js';
import type { AssignorName, CommitIdentity, GroupState, MemberDescription } from './types.js';

export interface GroupEvents {
  partitionCount(topic: string): number | undefined;
  onRebalanceCompleted(group: Group): void;
  logger: Logger;
}

/**
 * One group's membership, as Kafka's classic protocol: a join (new member, or a member answering
 * a rebalance) moves the group to PreparingRebalance; the other members learn of it through
 * their heartbeat (or the in-process onRebalance call) and rejoin; when every member has rejoined,
 * or the longest rebalance timeout passes (the members that did not rejoin are dropped), the
 * assignor runs, the generation goes up and every join resolves with its share. A member whose
 * session timer runs out, or that leaves, is removed and a rebalance starts at once.
 *
 * A group of Kafka clients (joins with `clientSide`) assigns client-side, as Kafka does: when
 * the joins complete, the group picks a protocol all members support and goes to
 * CompletingRebalance; the leader gets every member's metadata, computes the assignment and
 * sends it with its syncGroup, which the group relays to the other members' syncGroup calls.
 * A group is one kind or the other: the gateway's pipelines and Kafka clients cannot share one.
 */
export class Group {
  state: GroupState = 'Empty';
  generation = 0;
  /** When the last member left (ms since the epoch); offset retention counts from then. */
  emptiedAt: number | undefined;
  assignor: AssignorName;
  /** Set by the first member: 'server' runs an assignor here (pipelines), 'client' relays a Kafka client leader's. */
  private kind: 'server' | 'client' | undefined;
  private protocolType = '';
  private protocolName = '';
  private leaderId = '';
  private readonly members = new Map<string, Member>();
  private rebalanceTimer: NodeJS.Timeout | undefined;
  /** Partition counts the current assignment was made with; a change (new topic, added partitions) calls for a rebalance. */
  private assignedCounts = new Map<string, number | undefined>();

  constructor(
    readonly name: string,
    assignor: AssignorName,
    private readonly events: GroupEvents,
  ) {
    this.assignor = assignor;
  }

  get size(): number {
    return this.members.size;
  }

  /** The assignor, or for a group of Kafka clients the protocol they chose. */
  get strategy(): string {
    return this.kind === 'client' ? this.protocolName : this.assignor;
  }

  describeMembers(): MemberDescription[] {
    return [...this.members.values()].map((m) => ({ memberId: m.memberId, clientId: m.clientId, topics: [...m.topics], assignment: [...m.assignment] }));
  }

  join(request: JoinGroupRequest): Promise<JoinGroupResult> {
    const kind = request.clientSide ? 'client' : 'server';
    if (this.members.size > 0 && kind !== this.kind) {
      throw inconsistentProtocol(this.name, `its members are ${this.kind === 'client' ? 'Kafka clients' : "the gateway's pipeline members"}; the other kind cannot join it`);
    }
    if (kind === 'server' && this.members.size > 0 && request.assignor !== this.assignor) {
      throw new TributaryError('INVALID_REQUEST', `group ${this.name} uses the ${this.assignor} assignor; a member asked for ${request.assignor}`, {
        details: { group: this.name, assignor: this.assignor },
      });
    }
    let member = request.memberId === '' ? staticMember(this.members, request.clientSide) : this.members.get(request.memberId);
    if (request.memberId !== '' && !member) throw this.unknownMember(request.memberId);
    if (request.clientSide) {
      const others = [...this.members.values()].filter((m) => m !== member && m.clientSide).map((m) => m.clientSide!);
      checkCompatible(this.name, others, request.clientSide);
    }
    const staticRejoin = member !== undefined && request.memberId === '';
    const topicsBefore = member?.topics ?? [];
    if (member && staticRejoin) {
      // As in Kafka, it gets a new id and the old one is fenced (static-membership.ts).
      const old = member.memberId;
      member = replaceStaticMember(this.name, this.members, member, request.clientId, this.events.logger);
      if (this.leaderId === old) this.leaderId = member.memberId;
    }
    if (!member) {
      member = { memberId: `${request.clientId}-${randomUUID()}`, clientId: request.clientId, topics: [], sessionTimeoutMs: 0, rebalanceTimeoutMs: 0, assignment: [] };
      this.members.set(member.memberId, member);
    }
    this.kind = kind;
    if (kind === 'server') this.assignor = request.assignor;
    member.clientSide = request.clientSide;
    member.topics = [...new Set(request.topics)];
    member.sessionTimeoutMs = request.sessionTimeoutMs;
    member.rebalanceTimeoutMs = request.rebalanceTimeoutMs;
    member.onRebalance = request.onRebalance;
    if (staticRejoin && this.state === 'Stable' && sameTopics(topicsBefore, member.topics) && chooseProtocol([...this.members.values()].map((m) => m.clientSide!)) === this.protocolName) {
      return Promise.resolve(this.rejoinWithoutRebalance(member));
    }
    // The rebalance timer bounds a waiting join; the session timer resumes when it completes.
    clearTimeout(member.sessionTimer);
    member.pendingJoin?.reject(new TributaryError('REBALANCE_IN_PROGRESS', 'superseded by a newer join of the same member', { retriable: true }));
    const joined = new Promise<JoinGroupResult>((resolve, reject) => {
      member.pendingJoin = { resolve, reject };
    });
    if (this.state === 'PreparingRebalance') this.completeIfAllJoined();
    else this.startRebalance();
    return joined;
  }

  heartbeat(memberId: string, generation: number): void {
    const member = this.requireMember(memberId);
    if (!member.pendingJoin) member.sessionTimer?.refresh();
    if (this.state === 'Stable' && this.metadataChanged()) {
      this.events.logger.info('subscribed topics changed; rebalancing', { group: this.name });
      this.startRebalance();
    }
    if (this.state === 'PreparingRebalance') {
      throw new TributaryError('REBALANCE_IN_PROGRESS', `group ${this.name} is rebalancing; rejoin`, { retriable: true });
    }
    this.checkGeneration(generation);
  }

  private metadataChanged(): boolean {
    for (const [topic, count] of this.assignedCounts) if (this.events.partitionCount(topic) !== count) return true;
    return false;
  }

  leave(memberId: string): void {
    this.requireMember(memberId);
    this.remove(memberId, 'left the group');
  }

  /** Throws unless the committer may commit now (see GroupApi.commitOffsets). */
  checkCommit(member: CommitIdentity | undefined): void {
    if (!member) {
      if (this.members.size > 0) {
        throw new TributaryError('GROUP_NOT_EMPTY', `group ${this.name} has ${counted(this.members.size, 'member')}; only a member may commit`, { details: { group: this.name } });
      }
      return;
    }
    this.requireMember(member.memberId);
    this.checkGeneration(member.generation);
    // As Kafka: a member that joined this generation but has not synced does not know its
    // partitions yet; it commits again after SyncGroup (or rejoins). Pipelines never get here.
    if (this.state === 'CompletingRebalance') {
      throw new TributaryError('REBALANCE_IN_PROGRESS', `group ${this.name} is waiting for its leader's assignment; commit after SyncGroup`, { retriable: true });
    }
  }

  /**
   * Client-side groups: the member's assignment, once the leader has sent it. The leader's call
   * carries every member's assignment and completes the rebalance; the others wait for it.
   */
  sync(memberId: string, generation: number, assignments: readonly MemberAssignment[]): Promise<Buffer> {
    const member = this.requireMember(memberId);
    if (this.kind !== 'client') throw inconsistentProtocol(this.name, "its members are the gateway's pipeline members, which are assigned without SyncGroup");
    if (this.state === 'PreparingRebalance') throw new TributaryError('REBALANCE_IN_PROGRESS', `group ${this.name} is rebalancing; rejoin`, { retriable: true });
    this.checkGeneration(generation);
    member.synced = true;
    if (this.state !== 'CompletingRebalance') return Promise.resolve(member.assignmentBytes ?? NO_ASSIGNMENT);
    if (memberId === this.leaderId) {
      for (const a of assignments) {
        const m = this.members.get(a.memberId);
        if (!m) continue;
        m.assignmentBytes = a.assignment;
        m.assignment = a.partitions;
      }
      clearTimeout(this.rebalanceTimer);
      this.rebalanceTimer = undefined;
      this.state = 'Stable';
      for (const m of this.members.values()) {
        if (!m.pendingSync) continue;
        m.pendingSync.resolve(m.assignmentBytes ?? NO_ASSIGNMENT);
        m.pendingSync = undefined;
        this.armSessionTimer(m);
      }
      return Promise.resolve(member.assignmentBytes ?? NO_ASSIGNMENT);
    }
    member.pendingSync?.reject(new TributaryError('REBALANCE_IN_PROGRESS', 'superseded by a newer sync of the same member', { retriable: true }));
    // As in Kafka, a member waiting for its assignment is alive (clients do not heartbeat then);
    // its session runs again from the answer. A leader that never syncs is bounded by the sync timeout.
    clearTimeout(member.sessionTimer);
    return new Promise<Buffer>((resolve, reject) => {
      member.pendingSync = { resolve, reject };
    });
  }

  /** The member id a static member (group.instance.id) has now; undefined when it is not in the group. */
  memberIdOfInstance(groupInstanceId: string): string | undefined {
    return memberOfInstance(this.members, groupInstanceId)?.memberId;
  }

  /** A client-side group as Kafka's DescribeGroups shows it; undefined for a group of pipeline members. */
  membership(): GroupMembership | undefined {
    if (this.kind !== 'client') return undefined;
    return {
      state: this.state,
      protocolType: this.protocolType,
      protocolName: this.state === 'Stable' || this.state === 'CompletingRebalance' ? this.protocolName : '',
      members: [...this.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.clientSide?.groupInstanceId ?? null,
        clientId: m.clientId,
        clientHost: m.clientSide?.clientHost ?? '',
        metadata: m.clientSide ? metadataFor(m.clientSide, this.protocolName) : NO_ASSIGNMENT,
        assignment: m.assignmentBytes ?? NO_ASSIGNMENT,
      })),
    };
  }

  /** Fails every waiting join and sync; used when the coordinator shuts down. */
  close(err: TributaryError): void {
    clearTimeout(this.rebalanceTimer);
    for (const m of this.members.values()) {
      clearTimeout(m.sessionTimer);
      m.pendingJoin?.reject(err);
      m.pendingSync?.reject(err);
    }
    this.members.clear();
    this.state = 'Dead';
  }

  private startRebalance(): void {
    this.state = 'PreparingRebalance';
    const timeout = Math.max(0, ...[...this.members.values()].map((m) => m.rebalanceTimeoutMs));
    clearTimeout(this.rebalanceTimer);
    this.rebalanceTimer = setTimeout(() => this.onRebalanceTimeout(), timeout);
    this.rebalanceTimer.unref();
    for (const m of this.members.values()) {
      if (m.pendingSync) {
        m.pendingSync.reject(new TributaryError('REBALANCE_IN_PROGRESS', `group ${this.name} is rebalancing; rejoin`, { retriable: true }));
        m.pendingSync = undefined;
        this.armSessionTimer(m);
      }
      if (!m.pendingJoin) m.onRebalance?.();
    }
    this.completeIfAllJoined();
  }

  private onRebalanceTimeout(): void {
    for (const m of [...this.members.values()]) {
      if (!m.pendingJoin) this.drop(m, 'did not rejoin within the rebalance timeout');
    }
    this.completeRebalance();
  }

  private completeIfAllJoined(): void {
    for (const m of this.members.values()) if (!m.pendingJoin) return;
    this.completeRebalance();
  }

  private completeRebalance(): void {
    clearTimeout(this.rebalanceTimer);
    this.rebalanceTimer = undefined;
    this.generation++;
    const members = [...this.members.values()];
    if (members.length === 0) {
      this.state = 'Empty';
      this.emptiedAt = Date.now();
      this.events.onRebalanceCompleted(this);
      return;
    }
    this.assignedCounts = new Map([...new Set(members.flatMap((m) => m.topics))].map((topic) => [topic, this.events.partitionCount(topic)]));
    if (this.kind === 'client') {
      this.awaitClientAssignment(members);
      return;
    }
    const counts = new Map<string, number>();
    for (const [topic, n] of this.assignedCounts) if (n !== undefined) counts.set(topic, n);
    const assignment = assignorByName(this.assignor).assign(
      members.map((m) => ({ memberId: m.memberId, topics: m.topics, owned: m.assignment })),
      counts,
    );
    this.state = 'Stable';
    const leaderId = members[0].memberId;
    for (const m of members) {
      m.assignment = assignment.get(m.memberId) ?? [];
      const join = m.pendingJoin!;
      m.pendingJoin = undefined;
      this.armSessionTimer(m);
      join.resolve({ memberId: m.memberId, generation: this.generation, leaderId, assignment: [...m.assignment] });
    }
    this.events.logger.info('group rebalanced', { group: this.name, generation: this.generation, members: members.length });
    this.events.onRebalanceCompleted(this);
  }

  /** Client-side: every join resolves (the leader's with all members' metadata); the leader's sync completes the rebalance. */
  private awaitClientAssignment(members: Member[]): void {
    const joins = members.map((m) => m.clientSide!);
    this.protocolType = joins[0].protocolType;
    this.protocolName = chooseProtocol(joins) ?? '';
    // As in Kafka, the leader stays the leader while it is a member.
    if (!this.members.has(this.leaderId)) this.leaderId = members[0].memberId;
    this.state = 'CompletingRebalance';
    const all = leaderView(members, this.protocolName);
    for (const m of members) {
      m.assignment = [];
      m.assignmentBytes = undefined;
      m.synced = false;
      const join = m.pendingJoin!;
      m.pendingJoin = undefined;
      this.armSessionTimer(m);
      join.resolve({
        memberId: m.memberId,
        generation: this.generation,
        leaderId: this.leaderId,
        assignment: [],
        protocolName: this.protocolName,
        members: m.memberId === this.leaderId ? all : [],
      });
    }
    // A leader that never sends the assignment must not hold the group: past the rebalance
    // timeout, the members that have not synced are dropped and the group rebalances.
    const timeout = Math.max(0, ...members.map((m) => m.rebalanceTimeoutMs));
    this.rebalanceTimer = setTimeout(() => this.onSyncTimeout(), timeout);
    this.rebalanceTimer.unref();
    this.events.logger.info('group joined; waiting for the leader to assign', { group: this.name, generation: this.generation, members: members.length, protocol: this.protocolName });
    this.events.onRebalanceCompleted(this);
  }

  private onSyncTimeout(): void {
    if (this.state !== 'CompletingRebalance') return;
    for (const m of [...this.members.values()]) if (!m.synced) this.drop(m, 'did not sync within the rebalance timeout');
    if (this.members.size === 0) this.completeIfAllJoined();
    else this.startRebalance();
  }

  /**
   * Kafka's static member rejoin into a stable group whose protocol stays the same: the current
   * generation and assignment (the next syncGroup returns it), no rebalance for the others.
   */
  private rejoinWithoutRebalance(member: Member): JoinGroupResult {
    this.armSessionTimer(member);
    const members = member.memberId === this.leaderId ? leaderView(this.members.values(), this.protocolName) : [];
    return { memberId: member.memberId, generation: this.generation, leaderId: this.leaderId, assignment: [], protocolName: this.protocolName, members };
  }

  /** Throws FENCED_INSTANCE when a request's group.instance.id belongs to another member id (it was replaced). */
  checkInstance(memberId: string, groupInstanceId: string | null): void {
    checkInstance(this.name, this.members, memberId, groupInstanceId);
  }

  private armSessionTimer(m: Member): void {
    clearTimeout(m.sessionTimer);
    m.sessionTimer = setTimeout(() => this.remove(m.memberId, `sent no heartbeat for ${m.sessionTimeoutMs} ms`), m.sessionTimeoutMs);
    m.sessionTimer.unref();
  }

  private remove(memberId: string, why: string): void {
    const m = this.members.get(memberId);
    if (!m) return;
    this.drop(m, why);
    if (this.members.size === 0 || this.state === 'PreparingRebalance') this.completeIfAllJoined();
    else this.startRebalance();
  }

  private drop(m: Member, why: string): void {
    clearTimeout(m.sessionTimer);
    this.members.delete(m.memberId);
    m.pendingJoin?.reject(this.unknownMember(m.memberId));
    m.pendingSync?.reject(this.unknownMember(m.memberId));
    this.events.logger.info(`member ${why}`, { group: this.name, memberId: m.memberId });
  }

  private requireMember(memberId: string): Member {
    const member = this.members.get(memberId);
    if (!member) throw this.unknownMember(memberId);
    return member;
  }

  private checkGeneration(generation: number): void {
    if (generation !== this.generation) {
      throw new TributaryError('ILLEGAL_GENERATION', `generation ${generation} of group ${this.name} is stale; the current one is ${this.generation}; rejoin`, {
        details: { group: this.name, generation, currentGeneration: this.generation },
      });
    }
  }

  private unknownMember(memberId: string): TributaryError {
    return new TributaryError('UNKNOWN_MEMBER', `${memberId} is not a member of group ${this.name} (it left or its session timed out); rejoin`, {
      details: { group: this.name, memberId },
    });
  }
}

function sameTopics(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((t) => b.includes(t));
}
