/**
 * Runs on: main thread. A member of a Kafka consumer group behind Tributary's Consumer interface:
 * Kafka's group protocol (librdkafka) joins, assigns and rebalances; offsets are committed only
 * when the caller commits (after its sink accepted the records), and with commitStartPosition
 * where a partition the group never committed starts. The rebalance listeners run
 * before partitions are given up, so the work in hand is committed first.
 */
import { TributaryError } from '../../errors.js';
import type { AssignorName, Consumer, ConsumerOptions, PartitionOffset, PollOptions } from '../../groups/types.js';
import type { Logger } from '../../telemetry/logger.js';
import type { ConsumedRecord, TopicPartition } from '../types.js';
import type { Config, KafkaClientModule, KafkaConsumer, LibrdKafkaError, Message } from './client-types.js';
import type { KafkaErrors } from './kafka-errors.js';
import { consumedBytes, toConsumedRecord } from './message-records.js';

/** What a member takes where its options say nothing: the config's `groups:` block. */
export interface GroupDefaults {
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  rebalanceTimeoutMs: number;
  assignor: AssignorName;
}

export interface GroupConsumerDeps {
  client: KafkaClientModule;
  connection: Config;
  errors: KafkaErrors;
  logger: Logger;
  defaults: GroupDefaults;
  onClosed: (consumer: KafkaGroupConsumer) => void;
  /** The error to fail a commit with at once while every broker connection is down, else undefined. */
  unreachable: () => TributaryError | undefined;
}

/** librdkafka's assignors; its sticky one is the cooperative (incremental) variant. */
const STRATEGIES = { range: 'range', roundrobin: 'roundrobin', sticky: 'cooperative-sticky' } as const;
const ERR_ASSIGN_PARTITIONS = -175;
const ERR_REVOKE_PARTITIONS = -174;
const DEFAULT_MAX_RECORDS = 500;
const DEFAULT_MAX_BYTES = 1024 ** 2;
/** How long reading a commit back from the coordinator may take. */
const COMMIT_TIMEOUT_MS = 10_000;
/** How long reading a group's committed offsets or a partition's watermarks may take. */
const QUERY_TIMEOUT_MS = 10_000;
/** librdkafka's RD_KAFKA_OFFSET_INVALID: an assignment reads from the group's committed offset. */
const OFFSET_COMMITTED = -1001;

const key = (tp: TopicPartition) => `${tp.topic}\u0000${tp.partition}`;

export class KafkaGroupConsumer implements Consumer {
  readonly group: string;
  /** librdkafka's JS binding does not expose Kafka's member id or generation. */
  readonly memberId = '';
  readonly generation = -1;
  private readonly consumer: KafkaConsumer;
  /** The connection, made at creation; a failed one is made again by the next call that needs it. */
  private connection: Promise<void>;
  private topics: string[];
  private owned = new Map<string, TopicPartition>();
  /** The position after the last record polled, per partition: what commit() commits by default. */
  private readonly positions = new Map<string, PartitionOffset>();
  /** Records consumed past a poll's budget, handed out first by the next poll. */
  private leftover: ConsumedRecord[] = [];
  private rebalancing: Promise<void> = Promise.resolve();
  private closing: Promise<void> | undefined;
  /** The commits waiting for their read back, to fail at once when the cluster goes away. */
  private readonly readingBack = new Set<(err: unknown) => void>();
  /**
   * Whether the assignor is cooperative (incremental assign and unassign) or eager. Taken from the
   * one strategy configured, not from librdkafka's rebalanceProtocol(), which answers NONE once the
   * consumer is closing: the revoke of a close then took the eager path, librdkafka refused it
   * ("Erroneous state") and waited for an unassign that never came.
   */
  private readonly cooperative: boolean;

  constructor(
    private readonly deps: GroupConsumerDeps,
    private readonly options: ConsumerOptions,
  ) {
    this.group = options.group;
    const d = deps.defaults;
    const strategy = STRATEGIES[options.assignor ?? d.assignor];
    this.cooperative = strategy === 'cooperative-sticky';
    this.consumer = new deps.client.KafkaConsumer(
      {
        ...deps.connection,
        'client.id': options.clientId ?? String(deps.connection['client.id']),
        'group.id': options.group,
        'enable.auto.commit': false,
        'enable.auto.offset.store': false,
        'session.timeout.ms': options.sessionTimeoutMs ?? d.sessionTimeoutMs,
        'heartbeat.interval.ms': options.heartbeatIntervalMs ?? d.heartbeatIntervalMs,
        // Kafka's rebalance timeout is librdkafka's max.poll.interval.ms; it may not be below the session.
        'max.poll.interval.ms': Math.max(options.rebalanceTimeoutMs ?? d.rebalanceTimeoutMs, options.sessionTimeoutMs ?? d.sessionTimeoutMs),
        'partition.assignment.strategy': strategy,
        'fetch.wait.max.ms': 100,
        'allow.auto.create.topics': false,
        rebalance_cb: ((err: LibrdKafkaError, assignment: TopicPartition[]) => this.onRebalance(err, assignment)) as never,
      },
      { 'auto.offset.reset': options.autoOffsetReset ?? 'earliest' },
    );
    this.topics = options.topics ?? [];
    this.connection = this.connect();
    this.connection.catch(() => {}); // reported by the next poll, which connects again
  }

  private connect(): Promise<void> {
    return new Promise<void>((resolve, reject) =>
      this.consumer.connect({}, (err) => (err ? reject(this.deps.errors.wrap(err, `connect group ${this.group} to Kafka`)) : resolve())),
    ).then(() => {
      this.consumer.setDefaultIsTimeoutOnlyForFirstMessage(true);
      if (this.topics.length) this.consumer.subscribe(this.topics);
    });
  }

  /** Waits for the connection; after a failed one (Kafka away at start), tries again. */
  private connected(): Promise<void> {
    this.connection = this.connection.catch(() => this.connect());
    return this.connection;
  }

  assignment(): TopicPartition[] {
    return [...this.owned.values()];
  }

  subscribe(topics: string[]): void {
    this.topics = topics;
    this.connection.then(() => this.consumer.subscribe(topics)).catch(() => {});
  }

  private onRebalance(err: LibrdKafkaError, partitions: TopicPartition[]): void {
    const list = partitions.map((p) => ({ topic: p.topic, partition: p.partition }));
    const what = err.code === ERR_ASSIGN_PARTITIONS ? 'assigned' : err.code === ERR_REVOKE_PARTITIONS ? 'revoked' : `lost (${err.message})`;
    this.deps.logger.info(`group ${this.group}: partitions ${what}`, { partitions: list.map((p) => `${p.topic}-${p.partition}`).join(',') });
    this.rebalancing = this.rebalancing.then(() =>
      this.rebalance(err, list).catch((failure: unknown) =>
        // A rebalance that failed must not stop the next ones, polls or a close from going on.
        this.deps.logger.warn(`group ${this.group}: applying the partitions ${what} failed`, { error: failure }),
      ),
    );
  }

  private async rebalance(err: LibrdKafkaError, list: TopicPartition[]): Promise<void> {
    if (err.code === ERR_ASSIGN_PARTITIONS) {
      const starts = this.options.commitStartPosition ? await this.startPositions(list) : [];
      // Read from where the start was resolved, not from librdkafka's own reset a moment later,
      // which would pass over what arrived in between; the others from the committed offset.
      const offset = (p: TopicPartition) => starts.find((s) => key(s) === key(p))?.offset ?? OFFSET_COMMITTED;
      const assignment = list.map((p) => ({ ...p, offset: offset(p) }));
      if (this.cooperative) this.consumer.incrementalAssign(assignment);
      else this.consumer.assign(assignment);
      if (!this.cooperative) this.owned.clear();
      for (const p of list) this.owned.set(key(p), p);
      // Before the first poll delivers (poll waits for the rebalance): a restart in between starts here.
      if (starts.length > 0) {
        await this.commit(starts).catch((error: unknown) =>
          this.deps.logger.warn(`group ${this.group}: could not commit where it starts reading`, { partitions: starts.length, error }),
        );
      }
      await this.listen('onPartitionsAssigned', list);
      return;
    }
    // Revoked (or lost): finish and commit the work in hand before the partitions move.
    if (err.code === ERR_REVOKE_PARTITIONS) await this.listen('onPartitionsRevoked', list);
    const gone = new Set(list.map(key));
    this.leftover = this.leftover.filter((r) => !gone.has(key(r)));
    for (const k of gone) {
      this.owned.delete(k);
      this.positions.delete(k);
    }
    if (this.cooperative) this.consumer.incrementalUnassign(list);
    else this.consumer.unassign();
  }

  /**
   * Where the partitions the group never committed start, from auto_offset_reset and their
   * watermarks (commitStartPosition: the gateway's pipelines). Their lag then counts from there
   * before the first delivery. A partition whose offsets could not be read is left to librdkafka's
   * reset and its first delivery's commit, as before.
   */
  private async startPositions(list: TopicPartition[]): Promise<PartitionOffset[]> {
    try {
      const committed = await new Promise<{ topic: string; partition: number; offset: number }[]>((resolve, reject) =>
        this.consumer.committed(list, QUERY_TIMEOUT_MS, (err, offsets) => (err ? reject(this.deps.errors.wrap(err, `read the offsets of group ${this.group}`)) : resolve(offsets))),
      );
      const never = list.filter((p) => (committed.find((c) => key(c) === key(p))?.offset ?? -1) < 0);
      const latest = (this.options.autoOffsetReset ?? 'earliest') === 'latest';
      return await Promise.all(
        never.map(
          (p) =>
            new Promise<PartitionOffset>((resolve, reject) =>
              this.consumer.queryWatermarkOffsets(p.topic, p.partition, QUERY_TIMEOUT_MS, (err, w) =>
                err ? reject(this.deps.errors.wrap(err, `offsets of ${p.topic}[${p.partition}]`)) : resolve({ ...p, offset: latest ? w.highOffset : w.lowOffset }),
              ),
            ),
        ),
      );
    } catch (error) {
      this.deps.logger.warn(`group ${this.group}: could not resolve where it starts reading`, { partitions: list.length, error });
      return [];
    }
  }

  private async listen(which: 'onPartitionsAssigned' | 'onPartitionsRevoked', partitions: TopicPartition[]): Promise<void> {
    try {
      await this.options[which]?.(partitions);
    } catch (err) {
      this.deps.logger.warn(`${which} listener failed`, { group: this.group, error: err });
    }
  }

  async poll(options: PollOptions = {}): Promise<ConsumedRecord[]> {
    if (this.closing) return [];
    await this.connected();
    await this.rebalancing;
    if (this.leftover.length === 0) {
      this.consumer.setDefaultConsumeTimeout(options.maxWaitMs ?? 0);
      const messages = await new Promise<Message[]>((resolve, reject) =>
        this.consumer.consume(options.maxRecords ?? DEFAULT_MAX_RECORDS, (err, ms) => (err ? reject(this.deps.errors.wrap(err, `poll group ${this.group}`)) : resolve(ms))),
      );
      await this.rebalancing;
      // A record of a partition revoked meanwhile is the new owner's to read.
      this.leftover = messages.map(toConsumedRecord).filter((r) => this.owned.has(key(r)));
    }
    const maxRecords = options.maxRecords ?? DEFAULT_MAX_RECORDS;
    const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
    let bytes = 0;
    let n = 0;
    while (n < this.leftover.length && n < maxRecords && (n === 0 || bytes + consumedBytes(this.leftover[n]) <= maxBytes)) bytes += consumedBytes(this.leftover[n++]);
    const records = this.leftover.splice(0, n);
    for (const r of records) this.positions.set(key(r), { topic: r.topic, partition: r.partition, offset: r.offset + 1 });
    return records;
  }

  async commit(offsets?: PartitionOffset[]): Promise<void> {
    const list = offsets ?? [...this.positions.values()];
    if (list.length === 0) return;
    await this.connected();
    // Not queued while the cluster is away: its read back would wait out COMMIT_TIMEOUT_MS, once
    // for every batch a stopping member still delivers, so a shutdown during an outage took that
    // long times the batches. The caller commits again, or its batch is delivered again.
    const away = this.deps.unreachable();
    if (away) throw away;
    await new Promise<void>((resolve, reject) =>
      this.consumer.commitCb(
        list.map((o) => ({ topic: o.topic, partition: o.partition, offset: o.offset, metadata: o.metadata ?? null })),
        (err) => (err ? reject(this.deps.errors.wrap(err, `commit for group ${this.group}`)) : resolve()),
      ),
    );
    // commitCb only queues the commit (librdkafka's commitAsync), and its outcome goes to a
    // callback served by consume. The coordinator answers an offset fetch sent after it on the
    // same connection once the commit is stored: reading the offsets back says the commit landed.
    let fail: (err: unknown) => void = () => {};
    const stored = await new Promise<{ topic: string; partition: number; offset: number }[]>((resolve, reject) => {
      fail = reject;
      this.readingBack.add(fail);
      this.consumer.committed(
        list.map((o) => ({ topic: o.topic, partition: o.partition })),
        COMMIT_TIMEOUT_MS,
        (err, committed) => (err ? reject(this.deps.errors.wrap(err, `read back the commit of group ${this.group}`)) : resolve(committed)),
      );
    }).finally(() => this.readingBack.delete(fail));
    const behind = list.filter((o) => (stored.find((s) => s.topic === o.topic && s.partition === o.partition)?.offset ?? -1) < o.offset);
    if (behind.length === 0) return;
    const where = behind.map((o) => `${o.topic}[${o.partition}]`).join(', ');
    if (behind.some((o) => !this.owned.has(key(o)))) {
      throw new TributaryError('REBALANCE_IN_PROGRESS', `the commit of group ${this.group} was not stored for ${where}: the partitions moved to another member`, { retriable: true });
    }
    // Still this member's: the coordinator answered the commit with an error (it moved, was
    // loading, timed out). Not a group-state error, so the caller commits again: with no batch
    // after it to commit past it, the group would show the lag for good and a restart deliver it again.
    throw new TributaryError('BROKER_UNAVAILABLE', `the group coordinator did not store the commit of group ${this.group} for ${where}; it is made again`, { retriable: true });
  }

  /**
   * Fails the commits waiting for their read back with `error`, at once: every broker connection
   * went down, and each would wait out COMMIT_TIMEOUT_MS (a stopping member, once per batch it
   * still delivers). The caller commits again, or its batch is delivered again.
   */
  failPending(error: unknown): void {
    for (const fail of this.readingBack) fail(error);
  }

  /**
   * Leaves the group: librdkafka revokes (running onPartitionsRevoked) and sends LeaveGroup. It
   * cannot be made to go silent instead, so `leaveGroup: false` leaves too.
   */
  close(_options?: { leaveGroup?: boolean }): Promise<void> {
    this.closing ??= (async () => {
      try {
        await this.connection;
      } catch {
        return;
      } finally {
        this.deps.onClosed(this);
      }
      await new Promise<void>((resolve) => this.consumer.disconnect(() => resolve()));
      await this.rebalancing;
    })();
    return this.closing;
  }
}
