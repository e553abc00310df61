/**
 * Runs on: a sink worker.
 *
 * The group membership protocol spoken to the coordinator on the main thread: each call is a
 * small message there and back. The coordinator's in-process rebalance news comes back as a
 * `rebalance` call naming the member, routed here to the consumer that joined.
 */
import type { GroupProtocol, JoinGroupRequest, JoinGroupResult } from '../../src/groups/protocol.js';
import type { CommitIdentity, CommittedOffset, PartitionOffset } from '../../src/groups/types.js';
import type { TopicPartition } from '../../src/log/types.js';
import { type MainThreadCalls, memberKey } from '../../src/sinks/runtime/sink-worker-protocol.js';
import type { ThreadRpc } from '../../src/thread-rpc.js';

export class RemoteGroupProtocol implements GroupProtocol {
  /**
   * Each member's latest onRebalance and member id, by group and client id (unique among a
   * worker's members). Dropped when the member leaves or its join fails: the listener holds the
   * whole member (consumer, runner, sink), and a worker runs pipelines created and deleted for weeks.
   */
  private readonly members = new Map<string, { onRebalance: () => void; memberId: string }>();

  constructor(private readonly main: ThreadRpc<MainThreadCalls>) {}

  async joinGroup({ onRebalance, ...request }: JoinGroupRequest): Promise<JoinGroupResult> {
    const key = memberKey(request.group, request.clientId);
    if (!onRebalance) {
      this.members.delete(key);
      return this.main.call('joinGroup', request);
    }
    const member = { onRebalance, memberId: request.memberId ?? '' };
    this.members.set(key, member);
    try {
      const result = await this.main.call('joinGroup', request);
      member.memberId = result.memberId;
      return result;
    } catch (err) {
      if (this.members.get(key) === member) this.members.delete(key);
      throw err;
    }
  }

  /** The coordinator started a rebalance that this member must rejoin. */
  rebalance(group: string, clientId: string): void {
    this.members.get(memberKey(group, clientId))?.onRebalance();
  }

  heartbeat(group: string, memberId: string, generation: number): Promise<void> {
    return this.main.call('heartbeat', group, memberId, generation);
  }

  leaveGroup(group: string, memberId: string): Promise<void> {
    for (const [key, member] of this.members) if (member.memberId === memberId) this.members.delete(key);
    return this.main.call('leaveGroup', group, memberId);
  }

  commitOffsets(group: string, offsets: PartitionOffset[], member?: CommitIdentity): Promise<void> {
    return this.main.call('commitOffsets', group, offsets, member);
  }

  fetchOffsets(group: string, partitions?: TopicPartition[]): Promise<CommittedOffset[]> {
    return this.main.call('fetchOffsets', group, partitions);
  }
}
