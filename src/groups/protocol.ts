/**
 * The membership protocol between a consumer client and a group coordinator: Kafka's classic
 * JoinGroup / Heartbeat / LeaveGroup / OffsetCommit / OffsetFetch. JoinGroup and SyncGroup are one
 * call here because the coordinator runs the assignor itself (members need not elect a leader to
 * compute assignments); the call resolves when the rebalance completes, with the member's share.
 */
import type { TopicPartition } from '../log/types.js';
import type { AssignorName, CommitIdentity, CommittedOffset, PartitionOffset } from './types.js';

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
}

export interface JoinGroupResult {
  memberId: string;
  generation: number;
  leaderId: string;
  assignment: TopicPartition[];
}

export interface GroupProtocol {
  joinGroup(request: JoinGroupRequest): Promise<JoinGroupResult>;
  /** Throws REBALANCE_IN_PROGRESS (rejoin), UNKNOWN_MEMBER or ILLEGAL_GENERATION. */
  heartbeat(group: string, memberId: string, generation: number): Promise<void>;
  leaveGroup(group: string, memberId: string): Promise<void>;
  commitOffsets(group: string, offsets: PartitionOffset[], member?: CommitIdentity): Promise<void>;
  fetchOffsets(group: string, partitions?: TopicPartition[]): Promise<CommittedOffset[]>;
}
