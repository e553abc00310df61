// Runs on: main thread.
import { counted } from '../counted.js';
import { join } from 'node:path';
import type { GroupsConfig } from '../config/schema.js';
import { NAME_PATTERN } from '../config/schema.js';
import { TributaryError } from '../errors.js';
import type { TopicPartition } from '../log/types.js';
import type { Telemetry } from '../telemetry/telemetry.js';
import type { Logger } from '../telemetry/logger.js';
import { GroupConsumer, type ConsumerSettings } from './consumer.js';
import type { GroupLogView } from './group-log-view.js';
import { Group } from './group.js';
import { type GroupMemberCount, registerGroupMetrics } from './group-metrics.js';
import { describeLag, resolveResetOffsets } from './group-offsets.js';
import { OffsetStore } from './offset-store.js';
import type { GroupMembership, GroupProtocol, JoinGroupRequest, JoinGroupResult, MemberAssignment } from './protocol.js';
import type {
  CommitIdentity,
  CommittedOffset,
  Consumer,
  ConsumerOptions,
  GroupApi,
  GroupDescription,
  GroupListing,
  OffsetResetTarget,
  PartitionLag,
  PartitionOffset,
} from './types.js';

export interface GroupCoordinatorOptions {
  /** The log's data directory; offsets live in <dataDir>/groups/. */
  dataDir: string;
  config: GroupsConfig;
  log: GroupLogView;
  telemetry: Telemetry;
  logger: Logger;
  /** Journal size at which the offsets are snapshotted and the journal emptied. Default 4 MiB. */
  snapshotEveryBytes?: number;
}

/**
 * The embedded backend's group coordinator, on the main thread: group membership (Group), the
 * durable offsets (OffsetStore), lag and resets. It is the GroupProtocol its in-process consumers
 * speak, and the GroupApi the backend exposes.
 */
export class GroupCoordinator implements GroupProtocol, GroupApi {
  private readonly groups = new Map<string, Group>();
  private readonly store: OffsetStore;
  /** Rebalances completed per group since start, for tributary_group_rebalances_total. */
  private readonly rebalances = new Map<string, number>();
  private started = false;
  private stopped = false;
  private retentionTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: GroupCoordinatorOptions) {
    this.store = new OffsetStore({ dir: join(options.dataDir, 'groups'), logger: options.logger, snapshotEveryBytes: options.snapshotEveryBytes });
    registerGroupMetrics(options.telemetry, {
      groups: () => this.memberCounts(),
      lag: (group) => this.lagOf(group),
      rebalances: (group) => this.rebalances.get(group) ?? 0,
      maxGroups: options.config.metrics_max_groups,
    });
  }

  async start(): Promise<void> {
    await this.store.open();
    this.started = true;
    if (this.options.config.offsets_retention > 0) {
      this.retentionTimer = setInterval(() => this.expireOffsets(), this.options.config.offsets_retention_check_interval);
      this.retentionTimer.unref();
    }
  }

  async shutdown(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.retentionTimer);
    const err = new TributaryError('SHUTTING_DOWN', 'the group coordinator is shutting down', { retriable: true });
    for (const g of this.groups.values()) g.close(err);
    await this.store.close();
  }

  createConsumer(options: ConsumerOptions): Consumer {
    return new GroupConsumer(this, this.options.log, this.options.logger.child('consumer'), this.consumerSettings(options));
  }

  /** A consumer's options with the `groups:` defaults filled in, checked; for consumers on other threads too. */
  consumerSettings(options: ConsumerOptions): ConsumerSettings {
    const { config } = this.options;
    checkName(options.group, 'group');
    // Options left undefined take the config's defaults (a spread would copy the undefined).
    const settings = {
      ...options,
      sessionTimeoutMs: options.sessionTimeoutMs ?? config.session_timeout,
      heartbeatIntervalMs: options.heartbeatIntervalMs ?? config.heartbeat_interval,
      rebalanceTimeoutMs: options.rebalanceTimeoutMs ?? config.rebalance_timeout,
      assignor: options.assignor ?? config.assignor,
    };
    if (!(settings.heartbeatIntervalMs > 0 && settings.heartbeatIntervalMs < settings.sessionTimeoutMs)) {
      throw new TributaryError(
        'INVALID_REQUEST',
        `the heartbeat interval (${settings.heartbeatIntervalMs} ms) must be positive and shorter than the session timeout (${settings.sessionTimeoutMs} ms), or the member would time out`,
      );
    }
    return settings;
  }

  async joinGroup(request: JoinGroupRequest): Promise<JoinGroupResult> {
    this.checkRunning();
    checkName(request.group, 'group');
    // A Kafka client's subscription is its own business (it may name topics that do not exist yet).
    if (!request.clientSide) {
      if (request.topics.length === 0) throw new TributaryError('INVALID_REQUEST', 'a member must subscribe to at least one topic');
      for (const topic of request.topics) checkName(topic, 'topic');
    }
    let group = this.groups.get(request.group);
    if (!group) {
      group = new Group(request.group, request.assignor, {
        partitionCount: (topic) => this.options.log.partitionCount(topic),
        onRebalanceCompleted: (g) => this.onRebalanceCompleted(g),
        logger: this.options.logger,
      });
      this.groups.set(request.group, group);
    }
    try {
      return group.join(request);
    } catch (err) {
      // A refused join leaves no group behind, or refused joins under new names would pile up.
      this.forgetIfUnused(group);
      throw err;
    }
  }

  /** Client-side assignment (Kafka's SyncGroup): see Group.sync. */
  async syncGroup(group: string, memberId: string, generation: number, assignments: readonly MemberAssignment[]): Promise<Buffer> {
    this.checkRunning();
    return this.memberGroup(group, memberId).sync(memberId, generation, assignments);
  }

  /** A group of Kafka clients as DescribeGroups shows it; undefined for another group or none. */
  membership(group: string): GroupMembership | undefined {
    this.checkRunning();
    return this.groups.get(group)?.membership();
  }

  /** The member id of a static member (group.instance.id); undefined when it is not in the group. */
  memberIdOfInstance(group: string, groupInstanceId: string): string | undefined {
    return this.groups.get(group)?.memberIdOfInstance(groupInstanceId);
  }

  /** Throws FENCED_INSTANCE when a Kafka client's group.instance.id now belongs to another member id (a newer process). */
  checkInstance(group: string, memberId: string, groupInstanceId: string | null): void {
    this.groups.get(group)?.checkInstance(memberId, groupInstanceId);
  }

  async heartbeat(group: string, memberId: string, generation: number): Promise<void> {
    this.checkRunning();
    this.memberGroup(group, memberId).heartbeat(memberId, generation);
  }

  async leaveGroup(group: string, memberId: string): Promise<void> {
    this.checkRunning();
    this.memberGroup(group, memberId).leave(memberId);
  }

  async commitOffsets(group: string, offsets: PartitionOffset[], member?: CommitIdentity): Promise<void> {
    this.checkRunning();
    checkName(group, 'group');
    for (const o of offsets) this.checkOffset(o);
    if (member) this.memberGroup(group, member.memberId).checkCommit(member);
    else this.groups.get(group)?.checkCommit(undefined);
    await this.store.commit(group, offsets);
  }

  async fetchOffsets(group: string, partitions?: TopicPartition[]): Promise<CommittedOffset[]> {
    this.checkRunning();
    return this.store.fetch(group, partitions);
  }

  async listGroups(): Promise<GroupListing[]> {
    this.checkRunning();
    return this.groupNames().map((group) => {
      const { state, members, totalLag } = this.describeKnown(group);
      return { group, state, members: members.length, totalLag };
    });
  }

  async describeGroup(group: string): Promise<GroupDescription> {
    this.checkRunning();
    if (!this.groups.has(group) && this.store.fetch(group).length === 0) {
      throw new TributaryError('UNKNOWN_GROUP', `group ${group} does not exist`, { details: { group } });
    }
    return this.describeKnown(group);
  }

  /** A group as it stands, with its lag (read from memory, no broker asked: listGroups gives it for every group). */
  private describeKnown(group: string): GroupDescription {
    const g = this.groups.get(group);
    const members = g?.describeMembers() ?? [];
    const { partitions, totalLag } = describeLag(
      this.options.log,
      this.store.fetch(group),
      members.flatMap((m) => m.assignment),
    );
    return { group, state: g?.state ?? 'Empty', generation: g?.generation ?? 0, assignor: g?.strategy ?? this.options.config.assignor, members, partitions, totalLag };
  }

  async resetOffsets(group: string, target: OffsetResetTarget, topics?: string[]): Promise<CommittedOffset[]> {
    this.checkRunning();
    checkName(group, 'group');
    this.checkEmpty(group);
    const chosen = topics ?? [...new Set(this.store.fetch(group).map((o) => o.topic))];
    if (chosen.length === 0) throw new TributaryError('INVALID_REQUEST', `group ${group} has committed no offsets; name the topics to reset`);
    const offsets = await resolveResetOffsets(this.options.log, target, chosen);
    // A member may have joined while the offsets were looked up.
    this.checkEmpty(group);
    await this.store.commit(group, offsets);
    return this.store.fetch(group, offsets);
  }

  async deleteGroup(group: string): Promise<void> {
    this.checkRunning();
    checkName(group, 'group');
    this.checkEmpty(group, 'deleting it');
    await this.store.forget(group);
    // A member may have joined while the deletion was written: then the group lives on, with no offsets.
    if ((this.groups.get(group)?.size ?? 0) === 0) this.groups.delete(group);
    this.rebalances.delete(group);
  }

  /**
   * A deleted topic's committed offsets are forgotten in every group, durably, so that a topic
   * created again under its name is read from its start; a group left with neither offsets nor
   * members is gone, as Kafka drops it.
   */
  async forgetTopic(topic: string): Promise<void> {
    this.checkRunning();
    await this.store.forgetTopic(topic);
    for (const g of [...this.groups.values()]) this.forgetIfUnused(g);
  }

  /**
   * Kafka's offsets.retention.minutes: forgets the offsets of every group that has no members, has
   * had none for the retention, and committed nothing in it, so that groups used once (a
   * console consumer, a test) do not keep memory, the offset store and metric series forever.
   */
  private expireOffsets(): void {
    const cutoff = Date.now() - this.options.config.offsets_retention;
    const expired = this.store.groups().filter((group) => {
      const g = this.groups.get(group);
      if (g && (g.size > 0 || (g.emptiedAt ?? 0) > cutoff)) return false;
      return this.store.fetch(group).every((o) => o.commitTimestamp <= cutoff);
    });
    if (expired.length === 0) return;
    // Each forget is queued at once, so a commit made after this check is journaled after it.
    Promise.all(expired.map((group) => this.store.forget(group))).then(
      () => {
        for (const group of expired) {
          if ((this.groups.get(group)?.size ?? 0) === 0) this.groups.delete(group);
          this.rebalances.delete(group);
        }
        this.options.logger.info('expired the offsets of groups empty for longer than groups.offsets_retention', { groups: expired.length, first: expired[0] });
      },
      (err: unknown) => this.options.logger.warn('could not expire group offsets; retrying at the next check', { err }),
    );
  }

  private onRebalanceCompleted(g: Group): void {
    this.rebalances.set(g.name, (this.rebalances.get(g.name) ?? 0) + 1);
    this.forgetIfUnused(g);
  }

  /** As in Kafka, a group with neither members nor committed offsets is gone: from the metrics too. */
  private forgetIfUnused(g: Group): void {
    if (g.size === 0 && this.store.fetch(g.name).length === 0 && this.groups.get(g.name) === g) {
      this.groups.delete(g.name);
      this.rebalances.delete(g.name);
    }
  }

  /** Groups with members or committed offsets, sorted. */
  private groupNames(): string[] {
    return [...new Set([...this.groups.keys(), ...this.store.groups()])].sort();
  }

  /** Every group with its member count, without its lag: what the metrics choose their groups by. */
  private memberCounts(): GroupMemberCount[] {
    if (!this.started || this.stopped) return [];
    return this.groupNames().map((group) => ({ group, members: this.groups.get(group)?.size ?? 0 }));
  }

  /** A group's lag for the metrics: none once the coordinator stopped (a scrape races it). */
  private lagOf(group: string): PartitionLag[] {
    if (!this.started || this.stopped) return [];
    return this.describeKnown(group).partitions;
  }

  private checkEmpty(group: string, doing = 'resetting its offsets'): void {
    const size = this.groups.get(group)?.size ?? 0;
    if (size > 0) {
      throw new TributaryError('GROUP_NOT_EMPTY', `group ${group} has ${counted(size, 'active member')}; stop them before ${doing}`, {
        details: { group, members: size },
      });
    }
  }

  private memberGroup(group: string, memberId: string): Group {
    const g = this.groups.get(group);
    if (!g) throw new TributaryError('UNKNOWN_MEMBER', `${memberId} is not a member of group ${group}: the group has no members`, { details: { group, memberId } });
    return g;
  }

  private checkOffset(o: PartitionOffset): void {
    const count = this.options.log.partitionCount(o.topic);
    if (count === undefined) throw new TributaryError('UNKNOWN_TOPIC', `topic ${o.topic} does not exist`, { details: { topic: o.topic } });
    if (!Number.isInteger(o.partition) || o.partition < 0 || o.partition >= count) {
      throw new TributaryError('UNKNOWN_PARTITION', `topic ${o.topic} has partitions 0..${count - 1}, not ${o.partition}`, { details: { ...o } });
    }
    if (!Number.isSafeInteger(o.offset) || o.offset < 0) {
      throw new TributaryError('INVALID_REQUEST', `offset ${o.offset} for ${o.topic}-${o.partition} is not a non-negative integer`);
    }
  }

  private checkRunning(): void {
    if (this.stopped) throw new TributaryError('SHUTTING_DOWN', 'the group coordinator is shutting down', { retriable: true });
    if (!this.started) throw new TributaryError('INTERNAL', 'the group coordinator was not started');
  }
}

function checkName(name: string, what: string): void {
  if (typeof name !== 'string' || !NAME_PATTERN.test(name)) {
    throw new TributaryError('INVALID_REQUEST', `${what} name ${JSON.stringify(name)} is invalid: expected 1-249 characters of a-z, A-Z, 0-9, ".", "_", "-"`);
  }
}

export function createGroupCoordinator(options: GroupCoordinatorOptions): GroupCoordinator {
  return new GroupCoordinator(options);
}
