// Runs on: main thread.
/**
 * The membership protocol between a consumer client and a group coordinator: Kafka's classic
 * JoinGroup / Heartbeat / LeaveGroup / OffsetCommit / OffsetFetch. JoinGroup and SyncGroup are one
 * call here because the coordinator runs the assignor itself (members need not elect a leader to
 * compute assignments); the call resolves when the rebalance completes, with the member's share.
 */
import type { TopicPartition } from '../log/types.js';
import type { AssignorName, CommitIdentity, CommittedOffset, GroupState, PartitionOffset } from './types.js';

export interface JoinGroupRequest {
  group: string;
  /** '' for a new member; the coordinator answers with its id. */
  memberId: string;
  clientId: string;
  topics: string[];
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  assignor: AssignorName;
  /**
   * In-process shortcut: called when a rebalance starts that this member must rejoin, so it need
   * not wait for its next heartbeat to learn of it.
   */
  onRebalance?: () => void;
  /**
   * Set by Kafka clients, which assign client-side: the coordinator picks a protocol every member
   * supports, hands every member's metadata to the leader, and relays the leader's assignment
   * through syncGroup. `assignor` is then unused; `topics` is what the subscriptions name.
   */
  clientSide?: ClientSideJoin;
}

export interface ClientSideJoin {
  protocolType: string;
  /** In the member's order of preference; the metadata is opaque to the coordinator. */
  protocols: { name: string; metadata: Buffer }[];
  /** Static membership: a member that rejoins with the same instance id takes its old place. */
  groupInstanceId: string | null;
  clientHost: string;
}

export interface JoinGroupResult {
  memberId: string;
  generation: number;
  leaderId: string;
  /** Server-side assignment only; client-side members learn theirs from syncGroup. */
  assignment: TopicPartition[];
  /** Client-side only: the protocol chosen, and for the leader every member's metadata for it. */
  protocolName?: string;
  members?: { memberId: string; groupInstanceId: string | null; metadata: Buffer }[];
}

/** The leader's assignment for one member: opaque bytes, and the partitions they name (for describe and lag). */
export interface MemberAssignment {
  memberId: string;
  assignment: Buffer;
  partitions: TopicPartition[];
}

/** A client-side group as Kafka's DescribeGroups shows it. */
export interface GroupMembership {
  state: GroupState;
  protocolType: string;
  protocolName: string;
  members: { memberId: string; groupInstanceId: string | null; clientId: string; clientHost: string; metadata: Buffer; assignment: Buffer }[];
}

export interface GroupProtocol {
  joinGroup(request: JoinGroupRequest): Promise<JoinGroupResult>;
  /** Throws REBALANCE_IN_PROGRESS (rejoin), UNKNOWN_MEMBER or ILLEGAL_GENERATION. */
  heartbeat(group: string, memberId: string, generation: number): Promise<void>;
  leaveGroup(group: string, memberId: string): Promise<void>;
  commitOffsets(group: string, offsets: PartitionOffset[], member?: CommitIdentity): Promise<void>;
  fetchOffsets(group: string, partitions?: TopicPartition[]): Promise<CommittedOffset[]>;
}
