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
  /** Each member's latest onRebalance, by group and client id (unique among a worker's members). */
  private readonly rebalanceListeners = new Map<string, () => void>();

  constructor(private readonly main: ThreadRpc<MainThreadCalls>) {}

  joinGroup({ onRebalance, ...request }: JoinGroupRequest): Promise<JoinGroupResult> {
    const key = memberKey(request.group, request.clientId);
    if (onRebalance) this.rebalanceListeners.set(key, onRebalance);
    else this.rebalanceListeners.delete(key);
    return this.main.call('joinGroup', request);
  }

  /** The coordinator started a rebalance that this member must rejoin. */
  rebalance(group: string, clientId: string): void {
    this.rebalanceListeners.get(memberKey(group, clientId))?.();
  }

  heartbeat(group: string, memberId: string, generation: number): Promise<void> {
    return this.main.call('heartbeat', group, memberId, generation);
  }

  leaveGroup(group: string, memberId: string): Promise<void> {
    return this.main.call('leaveGroup', group, memberId);
  }

  commitOffsets(group: string, offsets: PartitionOffset[], member?: CommitIdentity): Promise<void> {
    return this.main.call('commitOffsets', group, offsets, member);
  }

  fetchOffsets(group: string, partitions?: TopicPartition[]): Promise<CommittedOffset[]> {
    return this.main.call('fetchOffsets', group, partitions);
  }
}
