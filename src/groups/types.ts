// Runs on: any thread (shared code with no thread of its own).
/**
 * The consumer-group API every log backend offers, in the vocabulary of Kafka's classic group
 * protocol: members join a group with their subscriptions, an assignor spreads the partitions,
 * each completed rebalance starts a new generation, members heartbeat within a session timeout,
 * and offsets are committed per group, topic and partition.
 *
 * A committed offset is, as in Kafka, the offset of the NEXT record to read.
 */
import type { ConsumedRecord, TopicPartition } from '../log/types.js';

export type AssignorName = 'range' | 'roundrobin' | 'sticky';

/**
 * Kafka's group states. `CompletingRebalance` (members joined, waiting for the leader's
 * assignment through SyncGroup) happens only in groups of Kafka clients, which assign client-side.
 */
export type GroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead';

export type AutoOffsetReset = 'earliest' | 'latest';

export interface PartitionOffset extends TopicPartition {
  offset: number;
  /** Free text stored with the commit (Kafka's commit metadata). */
  metadata?: string;
}

export interface CommittedOffset extends PartitionOffset {
  /** When the commit was made durable, milliseconds since the epoch. */
  commitTimestamp: number;
}

/** Who commits: a member of the current generation. Absent for an administrative commit. */
export interface CommitIdentity {
  memberId: string;
  generation: number;
}

export type OffsetResetTarget =
  | { type: 'earliest' }
  | { type: 'latest' }
  | { type: 'timestamp'; timestamp: number }
  | { type: 'offset'; offset: number };

export interface MemberDescription {
  memberId: string;
  clientId: string;
  topics: string[];
  assignment: TopicPartition[];
}

export interface PartitionLag extends TopicPartition {
  /** Null when the group never committed this partition (Kafka shows "-"). */
  committedOffset: number | null;
  highWatermark: number;
  /** highWatermark − committedOffset; null when nothing was committed. */
  lag: number | null;
  /** The commit's metadata string, where it carried one (a Kafka client's OffsetCommit); absent otherwise. */
  metadata?: string;
}

export interface GroupDescription {
  group: string;
  state: GroupState;
  generation: number;
  /** The assignor; for a group of Kafka clients, the protocol they chose (e.g. "range", "cooperative-sticky"). */
  assignor: string;
  members: MemberDescription[];
  /** Every partition the group committed or a member is assigned, sorted by topic and partition. */
  partitions: PartitionLag[];
  /** Sum of the known per-partition lags. */
  totalLag: number;
}

export interface GroupListing {
  group: string;
  state: GroupState;
  members: number;
  /** As GroupDescription's: so that one listing gives every group's lag (the console samples it). */
  totalLag: number;
}

export type RebalanceListener = (partitions: TopicPartition[]) => void | Promise<void>;

export interface ConsumerOptions {
  group: string;
  /** Shown in describeGroup; the member id is derived from it. Default "tributary". */
  clientId?: string;
  /** Subscribe at creation; the same as calling subscribe(topics). */
  topics?: string[];
  /** Where to start in a partition the group never committed. Default earliest. */
  autoOffsetReset?: AutoOffsetReset;
  /**
   * Commit the position a partition the group never committed starts from, as soon as it is
   * assigned (the gateway's pipelines; Kafka's own consumers do not, and neither do other
   * consumers here). Its lag then counts from there before the first delivery, and a restart in
   * between starts where it did, not at a `latest` that moved past what arrived meanwhile. Over
   * Kafka too: kafka-consumer.ts resolves and commits it when librdkafka assigns the partition.
   */
  commitStartPosition?: boolean;
  /** Defaults come from the `groups:` config block (45 s, 3 s, 60 s, sticky). */
  sessionTimeoutMs?: number;
  heartbeatIntervalMs?: number;
  rebalanceTimeoutMs?: number;
  assignor?: AssignorName;
  /**
   * Awaited before the member rejoins a rebalance (and on close): the place to finish the work
   * in hand and commit, before the partitions may move to another member. All of the member's
   * partitions are revoked (Kafka's eager protocol); the ones it keeps come back in onPartitionsAssigned.
   */
  onPartitionsRevoked?: RebalanceListener;
  onPartitionsAssigned?: RebalanceListener;
}

export interface PollOptions {
  /** Default 500. */
  maxRecords?: number;
  /** Soft budget over all partitions. Default 1 MiB. */
  maxBytes?: number;
  /** Wait this long for records when none are ready. Default 0. */
  maxWaitMs?: number;
  /**
   * Once records arrive at a partition this consumer had read to its end, let them gather this
   * long before they are fetched: fewer, fuller fetches from a consumer that keeps up (a batching
   * sink passes the wait it would spend gathering a batch anyway). Default 0. The embedded log's;
   * over Kafka, the consumer's own fetch.wait.max.ms applies instead.
   */
  lingerMs?: number;
}

export interface Consumer {
  readonly group: string;
  /** Empty until the first join completes. */
  readonly memberId: string;
  /** -1 until the first join completes. */
  readonly generation: number;
  /** The partitions this member currently owns. */
  assignment(): TopicPartition[];
  /** Sets the subscription; the member (re)joins the group on its next poll. */
  subscribe(topics: string[]): void;
  /**
   * Joins or rejoins the group when needed (running the rebalance listeners), then returns up to
   * maxRecords records from the assigned partitions, in offset order within each partition.
   */
  poll(options?: PollOptions): Promise<ConsumedRecord[]>;
  /** Commits the given offsets, or by default the position after every record polled so far. */
  commit(offsets?: PartitionOffset[]): Promise<void>;
  /**
   * The caller is done with these polled records (delivered, or given up): the memory they point
   * into may be reused, so nothing may read them, their values or headers afterwards. Optional:
   * records never released are simply collected.
   */
  release?(records: readonly ConsumedRecord[]): void;
  /**
   * Leaves the group (its partitions are reassigned at once). With `leaveGroup: false` the member
   * just stops heartbeating, as a crashed process would, and is removed after its session timeout.
   */
  close(options?: { leaveGroup?: boolean }): Promise<void>;
}

/** The group part of LogBackend. */
export interface GroupApi {
  createConsumer(options: ConsumerOptions): Consumer;
  listGroups(): Promise<GroupListing[]>;
  /** UNKNOWN_GROUP when the group has neither members nor committed offsets. */
  describeGroup(group: string): Promise<GroupDescription>;
  /**
   * Sets the group's committed offsets for `topics` (default: every topic it committed) to a
   * target, clamped to each partition's [logStartOffset, highWatermark]. GROUP_NOT_EMPTY while the
   * group has members. Returns the new offsets.
   */
  resetOffsets(group: string, target: OffsetResetTarget, topics?: string[]): Promise<CommittedOffset[]>;
  /**
   * Durable when resolved. With `member`, refused unless it is a member of the current generation
   * (UNKNOWN_MEMBER, ILLEGAL_GENERATION) or, in a group of Kafka clients, while it waits for the
   * leader's assignment (REBALANCE_IN_PROGRESS); without, only while the group has no members.
   */
  commitOffsets(group: string, offsets: PartitionOffset[], member?: CommitIdentity): Promise<void>;
  /** The committed offsets of the given partitions (default: all the group committed); missing ones are left out. */
  fetchOffsets(group: string, partitions?: TopicPartition[]): Promise<CommittedOffset[]>;
  /** Forgets the group and its committed offsets (Kafka's DeleteGroups). GROUP_NOT_EMPTY while it has members; an unknown group is no error. */
  deleteGroup(group: string): Promise<void>;
}
