/**
 * Runs on: a sink worker.
 *
 * The log as a sink worker's consumers read it: fetches go straight to each partition's leader
 * broker over this thread's own port to it, and are decoded here, so record bytes never pass
 * through the main thread. Topic metadata (leaders, offsets for a reset) is asked of the main
 * thread, which keeps it.
 */
import type { MessagePort } from 'node:worker_threads';
import { TributaryError } from '../../src/errors.js';
import type { ConsumerLogView } from '../../src/groups/partition-fetches.js';
import { BrokerChannel } from './broker-channel.js';
import { FetchReader } from '../../src/log/embedded/fetch-reader.js';
import { checkFetchRequest } from '../../src/log/embedded/validate.js';
import type { ConsumedRecord, FetchRequest, FetchResult, TopicInfo } from '../../src/log/types.js';
import type { MainThreadCalls } from '../../src/sinks/runtime/sink-worker-protocol.js';
import type { Telemetry } from '../../src/telemetry/telemetry.js';
import type { ThreadRpc } from '../../src/thread-rpc.js';

/** How long a fetch waits for a port to a broker that has none yet (start-up, a broker's restart). */
const PORT_WAIT_MS = 1_000;

export class BrokerReader implements ConsumerLogView {
  private readonly channels = new Map<number, BrokerChannel>();
  private readonly portWaiters = new Map<number, (() => void)[]>();
  private readonly leaders = new Map<string, number[]>();
  /** Each broker's change count (BrokerHandle.changeCount), shared with its handle on the main thread. */
  private readonly changeCounts = new Map<number, Int32Array>();
  private readonly reader: FetchReader;

  constructor(
    private readonly main: ThreadRpc<MainThreadCalls>,
    telemetry: Telemetry,
  ) {
    // The same counter as the main thread's fetches; the scrape adds them up.
    const fetched = telemetry.counter('tributary_log_fetch_records_total', 'Records returned by fetches', ['topic']);
    this.reader = new FetchReader(
      async (request) => (await this.channelTo(await this.leaderOf(request.topic, request.partition))).request<'fetch'>({ op: 'fetch', ...request }),
      (topic, records) => fetched.inc({ topic }, records),
      {
        changes: () => this.changes(),
        // Buffers whose records were all delivered go back to a broker: no ArrayBuffer per fetch
        // piles up here as external memory, which made V8 mark-compact several times a second.
        giveBack: (topic, partition, buffer) => this.giveBack(topic, partition, buffer),
      },
    );
  }

  /** A (new) port to a broker: the one before it belonged to a thread that has ended. */
  addPort(brokerId: number, port: MessagePort, changeCounts: SharedArrayBuffer): void {
    this.changeCounts.set(brokerId, new Int32Array(changeCounts));
    this.channels.get(brokerId)?.close();
    this.channels.set(brokerId, new BrokerChannel(brokerId, port));
    for (const wake of this.portWaiters.get(brokerId) ?? []) wake();
    this.portWaiters.delete(brokerId);
  }

  async fetch(request: FetchRequest): Promise<FetchResult> {
    checkFetchRequest(request);
    try {
      return await this.reader.fetch(request);
    } catch (err) {
      // Leaders are looked up again after a broker said it does not lead the partition.
      if (err instanceof TributaryError && err.code === 'NOT_LEADER') this.leaders.delete(request.topic);
      throw err;
    }
  }

  /** All brokers' change counts together: a topic deleted on one broker may come back, led by another. */
  private changes(): number {
    let sum = 0;
    for (const counts of this.changeCounts.values()) sum += Atomics.load(counts, 0);
    return sum;
  }

  /** The records' memory may be read into again (Consumer.release). */
  release(records: readonly ConsumedRecord[]): void {
    this.reader.release(records);
  }

  describeTopic(topic: string): Promise<TopicInfo> {
    return this.main.call('describeTopic', topic);
  }

  close(): void {
    for (const channel of this.channels.values()) channel.close();
    this.channels.clear();
  }

  /** To the partition's leader as last known (any broker reads into any buffer); dropped when there is no port to it. */
  private giveBack(topic: string, partition: number, buffer: ArrayBuffer): void {
    const leader = this.leaders.get(topic)?.[partition];
    if (leader !== undefined) this.channels.get(leader)?.giveBack(buffer);
  }

  private async leaderOf(topic: string, partition: number): Promise<number> {
    let leaders = this.leaders.get(topic);
    if (!leaders) {
      leaders = await this.main.call('partitionLeaders', topic);
      this.leaders.set(topic, leaders);
    }
    const leader = leaders[partition];
    if (leader === undefined) {
      throw new TributaryError('UNKNOWN_PARTITION', `topic ${topic} has partitions 0..${leaders.length - 1}, not ${partition}`, { details: { topic, partition } });
    }
    return leader;
  }

  private async channelTo(brokerId: number): Promise<BrokerChannel> {
    let channel = this.channels.get(brokerId);
    if (!channel?.isOpen) {
      await new Promise<void>((resolve) => {
        const waiters = this.portWaiters.get(brokerId) ?? [];
        this.portWaiters.set(brokerId, waiters);
        const wake = () => {
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(wake), 1);
          resolve();
        }, PORT_WAIT_MS);
        waiters.push(wake);
      });
      channel = this.channels.get(brokerId);
    }
    if (!channel?.isOpen) {
      throw new TributaryError('BROKER_UNAVAILABLE', `no port to broker ${brokerId} yet (it is starting or restarting)`, { retriable: true, details: { broker: brokerId } });
    }
    return channel;
  }
}
