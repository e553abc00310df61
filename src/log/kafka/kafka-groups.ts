/**
 * Runs on: main thread. The GroupApi over Kafka's own consumer groups: members are librdkafka
 * consumers (kafka-consumer.ts); listing and describing use ListGroups and DescribeGroups, lag
 * comes from OffsetFetch and the partitions' high watermarks, and administrative commits (offset
 * resets) are sent as Kafka sends them for a group with no members, so Kafka itself refuses them
 * while the group has members.
 */
import { counted } from '../../counted.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { TributaryError } from '../../errors.js';
import type {
  AssignorName,
  CommitIdentity,
  CommittedOffset,
  Consumer,
  ConsumerOptions,
  GroupDescription,
  GroupListing,
  GroupState,
  OffsetResetTarget,
  PartitionLag,
  PartitionOffset,
} from '../../groups/types.js';
import { backoffDelay } from '../../retry/backoff.js';
import { type Logger, silentLogger } from '../../telemetry/logger.js';
import type { TopicPartition } from '../types.js';
import { type KafkaApiName, unsupported } from './api-versions.js';
import type { AdminClient, Config, KafkaClientModule } from './client-types.js';
import { type GroupDefaults, KafkaGroupConsumer } from './kafka-consumer.js';
import type { KafkaErrors } from './kafka-errors.js';
import type { KafkaMetadata } from './kafka-metadata.js';
import type { KafkaReaders } from './kafka-readers.js';

export interface KafkaGroupsDeps {
  client: KafkaClientModule;
  connection: Config;
  errors: KafkaErrors;
  /** The admin client, once the backend is connected. */
  admin: () => AdminClient;
  readers: KafkaReaders;
  metadata: KafkaMetadata;
  supports: (api: KafkaApiName) => boolean;
  defaults?: GroupDefaults;
  logger?: Logger;
  /** The error a member's commit fails with at once while every broker connection is down, else undefined. */
  unreachable?: () => TributaryError | undefined;
}

const ADMIN_TIMEOUT_MS = 10_000;
/** How long an offset reset waits for a group to settle after its last member left. */
const SETTLE_TIMEOUT_MS = 10_000;
const ADMIN_RETRY = { initial_interval: 100, max_interval: 1_000, max_elapsed_time: SETTLE_TIMEOUT_MS };
const DEFAULTS: GroupDefaults = { sessionTimeoutMs: 45_000, heartbeatIntervalMs: 3_000, rebalanceTimeoutMs: 60_000, assignor: 'sticky' };

/** Kafka's ConsumerGroupState enum (librdkafka) as Tributary's states; CompletingRebalance folds in. */
const STATES: Readonly<Record<number, GroupState>> = { 0: 'Dead', 1: 'PreparingRebalance', 2: 'PreparingRebalance', 3: 'Stable', 4: 'Dead', 5: 'Empty' };
const ASSIGNORS: Readonly<Record<string, AssignorName>> = { range: 'range', roundrobin: 'roundrobin', 'cooperative-sticky': 'sticky', sticky: 'sticky' };

const byTopicPartition = (a: TopicPartition, b: TopicPartition) => a.topic.localeCompare(b.topic) || a.partition - b.partition;

export class KafkaGroups {
  private readonly consumers = new Set<KafkaGroupConsumer>();
  private readonly logger: Logger;

  constructor(private readonly deps: KafkaGroupsDeps) {
    this.logger = deps.logger ?? silentLogger;
  }

  createConsumer(options: ConsumerOptions): Consumer {
    const consumer = new KafkaGroupConsumer(
      {
        client: this.deps.client,
        connection: this.deps.connection,
        errors: this.deps.errors,
        logger: this.logger,
        defaults: this.deps.defaults ?? DEFAULTS,
        onClosed: (c) => this.consumers.delete(c),
        unreachable: this.deps.unreachable ?? (() => undefined),
      },
      options,
    );
    this.consumers.add(consumer);
    return consumer;
  }

  private require(api: KafkaApiName, what: string): void {
    if (!this.deps.supports(api)) throw unsupported(api, what);
  }

  async listGroups(): Promise<GroupListing[]> {
    this.require('ListGroups', 'list consumer groups');
    const { groups } = await new Promise<{ groups: { groupId: string }[] }>((resolve, reject) =>
      this.deps.admin().listGroups({ timeout: ADMIN_TIMEOUT_MS }, (err, result) => (err ? reject(this.deps.errors.wrap(err, 'list consumer groups')) : resolve(result))),
    );
    const described = await Promise.all(groups.map((g) => this.describeGroup(g.groupId).catch(() => undefined)));
    return described
      .filter((d): d is GroupDescription => d !== undefined)
      .map((d) => ({ group: d.group, state: d.state, members: d.members.length, totalLag: d.totalLag }))
      .sort((a, b) => a.group.localeCompare(b.group));
  }

  async describeGroup(group: string): Promise<GroupDescription> {
    this.require('DescribeGroups', `describe group ${group}`);
    const result = await this.describeRaw(group);
    const members = result.members.map((m) => {
      const assignment = (m.assignment?.topicPartitions ?? []).map((tp) => ({ topic: tp.topic, partition: tp.partition })).sort(byTopicPartition);
      return { memberId: m.memberId, clientId: m.clientId, topics: [...new Set(assignment.map((tp) => tp.topic))], assignment };
    });
    const committed = await this.fetchOffsets(group);
    if (members.length === 0 && committed.length === 0) throw new TributaryError('UNKNOWN_GROUP', `group ${group} has neither members nor committed offsets`);
    const partitions = new Map<string, TopicPartition>();
    for (const tp of [...committed, ...members.flatMap((m) => m.assignment)]) partitions.set(`${tp.topic}\u0000${tp.partition}`, { topic: tp.topic, partition: tp.partition });
    const lags: PartitionLag[] = await Promise.all(
      [...partitions.values()].sort(byTopicPartition).map(async (tp) => {
        const highWatermark = (await this.deps.readers.watermarks(tp.topic, tp.partition)).high;
        const c = committed.find((o) => o.topic === tp.topic && o.partition === tp.partition);
        return {
          ...tp,
          committedOffset: c?.offset ?? null,
          highWatermark,
          lag: c ? Math.max(0, highWatermark - c.offset) : null,
          ...(c?.metadata ? { metadata: c.metadata } : {}),
        };
      }),
    );
    return {
      group,
      state: members.length === 0 ? 'Empty' : (STATES[result.state] ?? 'Dead'),
      // DescribeGroups does not carry the generation.
      generation: -1,
      assignor: ASSIGNORS[result.partitionAssignor] ?? 'range',
      members,
      partitions: lags,
      totalLag: lags.reduce((n, p) => n + (p.lag ?? 0), 0),
    };
  }

  private describeRaw(group: string) {
    return new Promise<{ state: number; partitionAssignor: string; members: { memberId: string; clientId: string; assignment: { topicPartitions: TopicPartition[] } }[] }>(
      (resolve, reject) =>
        this.deps.admin().describeGroups([group], { timeout: ADMIN_TIMEOUT_MS }, (err, result) => {
          const described = result?.groups?.[0];
          if (err || !described) reject(this.deps.errors.wrap(err ?? new Error('no answer'), `describe group ${group}`));
          else if (described.error && !this.deps.errors.is(described.error, 'ERR_GROUP_ID_NOT_FOUND')) reject(this.deps.errors.wrap(described.error, `describe group ${group}`));
          else resolve({ state: described.state, partitionAssignor: described.partitionAssignor, members: described.error ? [] : described.members });
        }),
    );
  }

  async fetchOffsets(group: string, asked?: TopicPartition[]): Promise<CommittedOffset[]> {
    // Every partition of every topic, named: not every broker answers OffsetFetch's "all topics" form.
    let partitions = asked;
    if (!partitions) {
      await this.deps.metadata.refresh();
      partitions = this.deps.metadata.topics().flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.id })));
    }
    if (partitions.length === 0) return [];
    const [result] = await new Promise<{ error?: unknown; partitions: { topic: string; partition: number; offset: number; metadata?: string | null; error?: unknown }[] }[]>(
      (resolve, reject) =>
        this.deps.admin().listConsumerGroupOffsets([{ groupId: group, partitions }], { timeout: ADMIN_TIMEOUT_MS }, (err, r) =>
          err ? reject(this.deps.errors.wrap(err, `fetch offsets of group ${group}`)) : resolve(r),
        ),
    );
    if (result?.error) throw this.deps.errors.wrap(result.error, `fetch offsets of group ${group}`);
    return (result?.partitions ?? [])
      .filter((p) => !p.error && p.offset >= 0)
      .map((p) => ({
        topic: p.topic,
        partition: p.partition,
        offset: p.offset,
        ...(p.metadata ? { metadata: p.metadata } : {}),
        // Kafka's OffsetFetch does not return when an offset was committed.
        commitTimestamp: -1,
      }))
      .sort(byTopicPartition);
  }

  async commitOffsets(group: string, offsets: PartitionOffset[], member?: CommitIdentity): Promise<void> {
    if (member) {
      throw new TributaryError(
        'UNSUPPORTED_BY_CLUSTER',
        `commit for group ${group} as member ${member.memberId}: over Kafka a member commits through its own consumer (librdkafka sends commits only as the member it is)`,
      );
    }
    // The client reports a commit refused per partition as a success: each one is read back, and
    // tried again while the group settles (a rebalance after its last member left).
    // On the monotonic clock: a wall clock set back would stretch the wait.
    const started = performance.now();
    for (let attempt = 0; ; attempt++) {
      await this.commitAsNoMember(group, offsets);
      const stored = await this.fetchOffsets(group, offsets);
      if (offsets.every((o) => stored.some((s) => s.topic === o.topic && s.partition === o.partition && s.offset === o.offset))) return;
      if (performance.now() - started > SETTLE_TIMEOUT_MS) {
        // Kafka takes a memberless commit only from an Empty group.
        throw new TributaryError('GROUP_NOT_EMPTY', `Kafka did not store the offsets of group ${group}: it still has members or is rebalancing; try again once it is empty`, { retriable: true });
      }
      await sleep(backoffDelay(ADMIN_RETRY, attempt));
    }
  }

  /** Commits as Kafka's tools do for a group with no members: no member id, generation -1. */
  private async commitAsNoMember(group: string, offsets: PartitionOffset[]): Promise<void> {
    const committer = new this.deps.client.KafkaConsumer({ ...this.deps.connection, 'group.id': group, 'enable.auto.commit': false }, {});
    await new Promise<void>((resolve, reject) => committer.connect({}, (err) => (err ? reject(this.deps.errors.wrap(err, 'connect to Kafka')) : resolve())));
    try {
      await new Promise<void>((resolve, reject) =>
        committer.commitCb(
          offsets.map((o) => ({ topic: o.topic, partition: o.partition, offset: o.offset, metadata: o.metadata ?? null })),
          (err) => {
            if (!err) return resolve();
            const e = this.deps.errors.wrap(err, `commit offsets of group ${group}`);
            // Kafka refuses a memberless commit to a group with members as from an unknown member.
            if (e.code === 'UNKNOWN_MEMBER' || e.code === 'ILLEGAL_GENERATION') {
              reject(new TributaryError('GROUP_NOT_EMPTY', `group ${group} has members: stop them before changing its offsets`, { cause: e }));
            } else reject(e);
          },
        ),
      );
    } finally {
      await new Promise<void>((resolve) => committer.disconnect(() => resolve()));
    }
  }

  async resetOffsets(group: string, target: OffsetResetTarget, topics?: string[]): Promise<CommittedOffset[]> {
    if (this.deps.supports('DescribeGroups')) {
      const members = (await this.describeRaw(group)).members.length;
      if (members > 0) throw new TributaryError('GROUP_NOT_EMPTY', `group ${group} has ${counted(members, 'member')}: stop them before resetting its offsets`);
    }
    const names = topics ?? [...new Set((await this.fetchOffsets(group)).map((o) => o.topic))];
    const offsets: PartitionOffset[] = [];
    for (const topic of names) {
      const t = await this.deps.metadata.require(topic);
      for (const p of t.partitions) {
        const { low, high } = await this.deps.readers.watermarks(topic, p.id);
        let offset: number;
        if (target.type === 'earliest') offset = low;
        else if (target.type === 'latest') offset = high;
        else if (target.type === 'offset') offset = target.offset;
        else {
          const found = await this.deps.readers.offsetForTimestamp(topic, p.id, target.timestamp);
          offset = found >= 0 ? found : high;
        }
        offsets.push({ topic, partition: p.id, offset: Math.min(Math.max(offset, low), high) });
      }
    }
    if (offsets.length > 0) await this.commitOffsets(group, offsets);
    const now = Date.now();
    return offsets.map((o) => ({ ...o, commitTimestamp: now }));
  }

  /** Kafka refuses it (GROUP_NOT_EMPTY) while the group has members; an unknown group is no error. */
  async deleteGroup(group: string): Promise<void> {
    await new Promise<void>((resolve, reject) =>
      this.deps.admin().deleteGroups([group], { timeout: ADMIN_TIMEOUT_MS }, (err, reports) => {
        const failure = err ?? reports?.[0]?.error;
        if (!failure || this.deps.errors.is(failure, 'ERR_GROUP_ID_NOT_FOUND')) resolve();
        else if (this.deps.errors.is(failure, 'ERR_NON_EMPTY_GROUP')) reject(new TributaryError('GROUP_NOT_EMPTY', `group ${group} has members: stop them before deleting it`, { cause: failure }));
        else reject(this.deps.errors.wrap(failure, `delete group ${group}`));
      }),
    );
  }

  /** Every broker connection went down: the members' commits waiting for the cluster fail with `error` now. */
  failPending(error: unknown): void {
    for (const consumer of this.consumers) consumer.failPending(error);
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.consumers].map((c) => c.close()));
  }
}
