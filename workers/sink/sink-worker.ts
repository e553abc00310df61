/**
 * Runs on: a sink worker.
 *
 * A sink worker thread: the pipeline members the main thread placed here, each polling,
 * batching, exporting and committing in a loop of its own, with this thread's own sinks. Over the
 * embedded engine record bytes come straight from the brokers (BrokerReader) and group
 * membership and commits go to the coordinator on the main thread (RemoteGroupProtocol); over
 * Kafka each member polls and commits its Kafka consumer on the main thread (RemoteConsumer). A
 * sink whose client works only on the main thread (kafka) runs there (remoteSink). Logs and
 * metrics are relayed to the main thread.
 */
import { type ConsumerSettings, GroupConsumer } from '../../src/groups/consumer.js';
import type { Consumer, RebalanceListener } from '../../src/groups/types.js';
import { RecordFilter } from '../../src/sinks/filter/record-filter.js';
import { createSink, sinkFactories } from '../../src/sinks/registry.js';
import { DeadLetterTopic } from '../../src/sinks/runtime/dead-letter.js';
import { PipelineMember } from '../../src/sinks/runtime/pipeline-member.js';
import { createSinkMetrics } from '../../src/sinks/runtime/sink-metrics.js';
import {
  type MainThreadCalls,
  type MemberSettings,
  memberKey,
  type SinkWorkerCalls,
  type SinkWorkerData,
} from '../../src/sinks/runtime/sink-worker-protocol.js';
import type { Sink } from '../../src/sinks/sink.js';
import { createRelayedLogger, type Logger } from '../../src/telemetry/logger.js';
import { type MetricsSnapshot, Telemetry } from '../../src/telemetry/telemetry.js';
import { type RpcEndpoint, ThreadRpc } from '../../src/thread-rpc.js';
import { BrokerReader } from './broker-reader.js';
import { RemoteConsumer } from './remote-consumer.js';
import { RemoteGroupProtocol } from './remote-group.js';
import { remoteSink } from './remote-sink.js';

/** How often the worker sends its metrics unasked, bounding what a crash of the thread loses. */
const SNAPSHOT_INTERVAL_MS = 5_000;

interface HostedRun {
  group: string;
  sink: Sink;
  members: PipelineMember[];
}

export class SinkWorker {
  private readonly main: ThreadRpc<MainThreadCalls>;
  private readonly groups: RemoteGroupProtocol;
  private readonly reader: BrokerReader;
  private readonly telemetry = new Telemetry();
  private readonly logger: Logger;
  private readonly stopping = new AbortController();
  private readonly runs: HostedRun[];
  /** The members' consumers on the main thread (`main-thread` consumers), by member key. */
  private readonly remoteConsumers = new Map<string, RemoteConsumer>();
  private snapshotTimer: NodeJS.Timeout | undefined;

  constructor(port: RpcEndpoint, data: SinkWorkerData) {
    const calls: SinkWorkerCalls = {
      start: () => this.start(),
      stop: () => this.stop(),
      metrics: () => this.telemetry.snapshot(),
      brokerPort: (brokerId, brokerPort) => this.reader.addPort(brokerId, brokerPort),
      rebalance: (group, clientId) => this.groups.rebalance(group, clientId),
      partitionsRevoked: async (member, partitions) => {
        await this.remoteConsumers.get(member)?.revoked(partitions);
      },
    };
    this.main = new ThreadRpc<MainThreadCalls>(port, calls);
    this.logger = createRelayedLogger((level, name, message, fields) => this.main.notify('log', level, name, message, fields));
    this.groups = new RemoteGroupProtocol(this.main);
    this.reader = new BrokerReader(this.main, this.telemetry);
    const metrics = createSinkMetrics(this.telemetry);
    // Dead letters are rare: they go back to the log through the main thread's producer.
    const deadLetterLog = {
      createTopic: (...args: Parameters<MainThreadCalls['createTopic']>) => this.main.call('createTopic', ...args),
      produce: (...args: Parameters<MainThreadCalls['produce']>) => this.main.call('produce', ...args),
    };
    const consumerLogger = this.logger.child('consumer');
    const createConsumer = (settings: MemberSettings, onPartitionsRevoked: RebalanceListener): Consumer => {
      // The coordinator filled in the `groups:` defaults of embedded members (placement).
      if (data.consumers === 'brokers') return new GroupConsumer(this.groups, this.reader, consumerLogger, { ...(settings as ConsumerSettings), onPartitionsRevoked });
      const consumer = new RemoteConsumer(this.main, memberKey(settings.group, settings.clientId ?? ''), settings.group, onPartitionsRevoked);
      this.remoteConsumers.set(consumer.key, consumer);
      return consumer;
    };
    this.runs = data.pipelines.map(({ index, config, members }) => {
      const sink = sinkFactories.get(config.sink.type)?.mainThread
        ? remoteSink(this.main, config.sink.type, index)
        : createSink(config.sink, { pipeline: config.group, path: `pipelines[${index}].sink`, topics: config.topics, logger: this.logger, telemetry: this.telemetry });
      const deadLetter = config.dead_letter.enabled
        ? new DeadLetterTopic(deadLetterLog, config.dead_letter.topic ?? `${config.group}.dlq`, config.group)
        : undefined;
      const filter = RecordFilter.compile(config.filter);
      const delivery = { pipeline: config.group, sink, retry: config.retry, deadLetter, filter, metrics, logger: this.logger, stopping: this.stopping.signal };
      return {
        group: config.group,
        sink,
        members: members.map((settings) => new PipelineMember((onPartitionsRevoked) => createConsumer(settings, onPartitionsRevoked), config.batch, delivery)),
      };
    });
  }

  private async start(): Promise<void> {
    for (const run of this.runs) await run.sink.start();
    for (const run of this.runs) for (const member of run.members) member.start();
    this.snapshotTimer = setInterval(() => void this.sendSnapshot(), SNAPSHOT_INTERVAL_MS).unref();
  }

  /** Every member stops and every sink shuts down, even when one of them fails; the first failure is reported. */
  private async stop(): Promise<MetricsSnapshot> {
    this.stopping.abort();
    clearInterval(this.snapshotTimer);
    const members = await Promise.allSettled(this.runs.flatMap((run) => run.members.map((m) => m.stop())));
    const sinks = await Promise.allSettled(this.runs.map((run) => run.sink.shutdown()));
    this.reader.close();
    const failed = [...members, ...sinks].find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
    return this.telemetry.snapshot();
  }

  private async sendSnapshot(): Promise<void> {
    this.main.notify('metricsSnapshot', await this.telemetry.snapshot());
  }
}

export function startSinkWorker(port: RpcEndpoint, data: SinkWorkerData): SinkWorker {
  return new SinkWorker(port, data);
}
