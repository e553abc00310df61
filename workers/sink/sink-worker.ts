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
import { LogThrottle } from '../../src/telemetry/log-throttle.js';
import { deadLetterTopicOf } from '../../src/config/across-keys.js';
import { TributaryError } from '../../src/errors.js';
import { type SinkMetrics, createSinkMetrics, startPipelineSeries } from '../../src/sinks/runtime/sink-metrics.js';
import {
  type HostedPipeline,
  type MainThreadCalls,
  type MemberSettings,
  memberKey,
  sinkPathOf,
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

/** A pipeline as this thread runs it. */
interface HostedRun {
  sink: Sink;
  members: PipelineMember[];
  /** Aborted when the pipeline stops here: a delivery in retries gives up its batch uncommitted. */
  stopping: AbortController;
}

export class SinkWorker {
  private readonly main: ThreadRpc<MainThreadCalls>;
  private readonly groups: RemoteGroupProtocol;
  private readonly reader: BrokerReader;
  private readonly telemetry = new Telemetry();
  private readonly logger: Logger;
  private readonly metrics: SinkMetrics;
  private readonly consumerLogger: Logger;
  /** The pipelines running here, by group. */
  private readonly runs = new Map<string, HostedRun>();
  /** The members' consumers on the main thread (`main-thread` consumers), by member key. */
  private readonly remoteConsumers = new Map<string, RemoteConsumer>();
  private snapshotTimer: NodeJS.Timeout | undefined;

  constructor(
    port: RpcEndpoint,
    private readonly data: SinkWorkerData,
  ) {
    const calls: SinkWorkerCalls = {
      start: () => this.start(),
      stop: () => this.stop(),
      addPipeline: (hosted) => this.addPipeline(hosted),
      removePipeline: (group) => this.removePipeline(group),
      forgetPipeline: (group) => this.telemetry.forgetSeries('pipeline', group),
      metrics: () => this.telemetry.snapshot(),
      brokerPort: (brokerId, brokerPort, changeCounts) => this.reader.addPort(brokerId, brokerPort, changeCounts),
      rebalance: (group, clientId) => this.groups.rebalance(group, clientId),
      partitionsRevoked: async (member, partitions) => {
        await this.remoteConsumers.get(member)?.revoked(partitions);
      },
    };
    this.main = new ThreadRpc<MainThreadCalls>(port, calls);
    this.logger = createRelayedLogger((level, name, message, fields) => this.main.notify('log', level, name, message, fields));
    this.consumerLogger = this.logger.child('consumer');
    this.groups = new RemoteGroupProtocol(this.main);
    this.reader = new BrokerReader(this.main, this.telemetry);
    this.metrics = createSinkMetrics(this.telemetry);
  }

  private async start(): Promise<void> {
    const runs = this.data.pipelines.map((hosted) => [hosted.config.group, this.build(hosted)] as const);
    for (const [, run] of runs) await run.sink.start();
    for (const [group, run] of runs) this.run(group, run);
    this.snapshotTimer = setInterval(() => void this.sendSnapshot(), SNAPSHOT_INTERVAL_MS).unref();
  }

  /** Every member stops and every sink shuts down, even when one of them fails; the first failure is reported. */
  private async stop(): Promise<MetricsSnapshot> {
    clearInterval(this.snapshotTimer);
    const runs = [...this.runs.values()];
    this.runs.clear();
    for (const run of runs) run.stopping.abort();
    const members = await Promise.allSettled(runs.flatMap((run) => run.members.map((m) => m.stop())));
    const sinks = await Promise.allSettled(runs.map((run) => run.sink.shutdown()));
    this.reader.close();
    const failed = [...members, ...sinks].find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
    return this.telemetry.snapshot();
  }

  private async addPipeline(hosted: HostedPipeline): Promise<void> {
    const { group } = hosted.config;
    if (this.runs.has(group)) throw new TributaryError('INTERNAL', `sink worker ${this.data.worker} already runs pipeline ${group}`);
    const run = this.build(hosted);
    await run.sink.start();
    this.run(group, run);
  }

  /** Its members start; its series are there from now on (a pipeline refused at its sink's start leaves none). */
  private run(group: string, run: HostedRun): void {
    this.runs.set(group, run);
    startPipelineSeries(this.metrics, group);
    for (const member of run.members) member.start();
  }

  /** Its members finish and commit the batch in hand and leave the group; then its sink closes, even when a member failed. */
  private async removePipeline(group: string): Promise<void> {
    const run = this.runs.get(group);
    if (!run) return;
    this.runs.delete(group);
    run.stopping.abort();
    const members = await Promise.allSettled(run.members.map((m) => m.stop()));
    // Their consumers are closed: none is kept (each holds its member, and pipelines come and go for weeks).
    for (const [key, consumer] of this.remoteConsumers) if (consumer.group === group) this.remoteConsumers.delete(key);
    await run.sink.shutdown();
    const failed = members.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /** A pipeline's sink and members, not started. */
  private build({ path, config, members }: HostedPipeline): HostedRun {
    const sink = sinkFactories.get(config.sink.type)?.mainThread
      ? remoteSink(this.main, config.sink.type, config.group)
      : createSink(config.sink, { pipeline: config.group, path: sinkPathOf(path), topics: config.topics, logger: this.logger, telemetry: this.telemetry });
    // Dead letters are rare: they go back to the log through the main thread's producer.
    const deadLetter = config.dead_letter.enabled
      ? new DeadLetterTopic(this.deadLetterLog, deadLetterTopicOf(config), config.group)
      : undefined;
    const stopping = new AbortController();
    const filter = RecordFilter.compile(config.filter);
    const delivery = { pipeline: config.group, sink, retry: config.retry, deadLetter, filter, metrics: this.metrics, logger: this.logger, rejections: new LogThrottle(), stopping: stopping.signal };
    return {
      sink,
      stopping,
      members: members.map((settings) => new PipelineMember((onPartitionsRevoked) => this.createConsumer(settings, onPartitionsRevoked), config.batch, delivery)),
    };
  }

  private readonly deadLetterLog = {
    createTopic: (...args: Parameters<MainThreadCalls['createTopic']>) => this.main.call('createTopic', ...args),
    produce: (...args: Parameters<MainThreadCalls['produce']>) => this.main.call('produce', ...args),
  };

  private createConsumer(settings: MemberSettings, onPartitionsRevoked: RebalanceListener): Consumer {
    // The coordinator filled in the `groups:` defaults of embedded members (placement).
    if (this.data.consumers === 'brokers') {
      return new GroupConsumer(this.groups, this.reader, this.consumerLogger, { ...(settings as ConsumerSettings), onPartitionsRevoked });
    }
    const consumer = new RemoteConsumer(this.main, memberKey(settings.group, settings.clientId ?? ''), settings.group, onPartitionsRevoked);
    this.remoteConsumers.set(consumer.key, consumer);
    return consumer;
  }

  private async sendSnapshot(): Promise<void> {
    this.main.notify('metricsSnapshot', await this.telemetry.snapshot());
  }
}

export function startSinkWorker(port: RpcEndpoint, data: SinkWorkerData): SinkWorker {
  return new SinkWorker(port, data);
}
