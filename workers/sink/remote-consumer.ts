/**
 * Runs on: a sink worker.
 *
 * A pipeline member's consumer when it runs on the main thread (over Kafka: the Kafka client
 * works only there, since it dispatches its callbacks on the main thread's event loop). Polls,
 * commits and the close cross as calls; the consumer's revocation comes back as
 * `partitionsRevoked`, which runs the member's listener here before the partitions move.
 * Kafka's group protocol keeps the membership: there is no member id or generation to show.
 */
import type { Consumer, PartitionOffset, PollOptions, RebalanceListener } from '../../src/groups/types.js';
import type { ConsumedRecord, TopicPartition } from '../../src/log/types.js';
import { clonedRecord } from '../../src/sinks/runtime/cloned-records.js';
import type { MainThreadCalls } from '../../src/sinks/runtime/sink-worker-protocol.js';
import type { ThreadRpc } from '../../src/thread-rpc.js';

export class RemoteConsumer implements Consumer {
  readonly memberId = '';
  readonly generation = -1;

  constructor(
    private readonly main: ThreadRpc<MainThreadCalls>,
    /** The member's key (memberKey), naming its consumer on the main thread. */
    readonly key: string,
    readonly group: string,
    private readonly onPartitionsRevoked: RebalanceListener,
  ) {}

  /** Run by the worker when the main thread's consumer gives up partitions. */
  revoked(partitions: TopicPartition[]): Promise<void> {
    return Promise.resolve(this.onPartitionsRevoked(partitions));
  }

  /** Not tracked here: the main thread's consumer owns the assignment. */
  assignment(): TopicPartition[] {
    return [];
  }

  /** The subscription is the pipeline's topics, given when the consumer is built on the main thread. */
  subscribe(_topics: string[]): void {}

  async poll(options: PollOptions = {}): Promise<ConsumedRecord[]> {
    return (await this.main.call('consumerPoll', this.key, options)).map(clonedRecord);
  }

  /** Commits the given offsets (the member always names them). */
  async commit(offsets: PartitionOffset[] = []): Promise<void> {
    if (offsets.length > 0) await this.main.call('consumerCommit', this.key, offsets);
  }

  async close(): Promise<void> {
    await this.main.call('consumerClose', this.key);
  }
}
