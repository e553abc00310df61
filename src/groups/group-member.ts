// Runs on: main thread.
import type { TopicPartition } from '../log/types.js';
import { metadataFor } from './client-side.js';
import type { ClientSideJoin, JoinGroupResult } from './protocol.js';

/**
 * One member of a group as the coordinator holds it (Group): what it subscribed to, its timeouts
 * and assignment, the join or sync call it is waiting in, and its session timer.
 */
export interface Member {
  memberId: string;
  clientId: string;
  topics: string[];
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  assignment: TopicPartition[];
  onRebalance?: () => void;
  /** Set while the member waits in a join for the rebalance to complete. */
  pendingJoin?: { resolve(result: JoinGroupResult): void; reject(err: unknown): void };
  sessionTimer?: NodeJS.Timeout;
  /** Client-side members (Kafka clients): their protocols, the leader's assignment for them, and a waiting syncGroup. */
  clientSide?: ClientSideJoin;
  assignmentBytes?: Buffer;
  synced?: boolean;
  pendingSync?: { resolve(assignment: Buffer): void; reject(err: unknown): void };
}

export const NO_ASSIGNMENT = Buffer.alloc(0);

/** Every client-side member's metadata for the chosen protocol: what a Kafka client leader assigns from. */
export function leaderView(members: Iterable<Member>, protocol: string): NonNullable<JoinGroupResult['members']> {
  return [...members].map((m) => ({ memberId: m.memberId, groupInstanceId: m.clientSide!.groupInstanceId, metadata: metadataFor(m.clientSide!, protocol) }));
}
