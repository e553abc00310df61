/**
 * Runs on: main thread.
 *
 * One sink worker thread seen from the main thread: starts it, serves what it asks (the group
 * coordinator, topic metadata, dead-letter produce, its logs and metrics), hands it a port to
 * every broker of the embedded engine, and restarts it when it dies. Over Kafka it also holds
 * the members' Kafka consumers, which the worker polls and commits through these calls. A thread
 * that dies leaves its groups at once, so its partitions move on without waiting for a session
 * timeout; what its members had not committed is read again (by the restarted thread or another
 * member) and delivered again.
 */
import type { Worker } from 'node:worker_threads';
import { AggregatorRegistry } from 'prom-client';
import { TributaryError } from '../../errors.js';
import { backoffDelay } from '../../retry/backoff.js';
import type { ConsumerSettings } from '../../groups/consumer.js';
import type { GroupProtocol } from '../../groups/protocol.js';
import type { Consumer, ConsumerOptions } from '../../groups/types.js';
import type { LogBackend } from '../../log/backend.js';
import type { ReaderPortListener } from '../../log/embedded/reader-ports.js';
import { spawnWorkerThread } from '../../spawn-worker.js';
import type { Logger } from '../../telemetry/logger.js';
import { type MetricsSnapshot, type Telemetry, withoutSeries } from '../../telemetry/telemetry.js';
import { ThreadRpc } from '../../thread-rpc.js';
import type { Sink } from '../sink.js';
import { clonedBatch } from './cloned-records.js';
import {
  type HostedPipeline,
  type MainThreadCalls,
  type MemberSettings,
  memberKey,
  type SinkWorkerCalls,
  type SinkWorkerData,
} from './sink-worker-protocol.js';

/** What the embedded engine offers sink workers beyond LogBackend: its coordinator and ports to its brokers. */
export interface BrokerAccess {
  readonly groupCoordinator: Pick<GroupProtocol, 'joinGroup' | 'heartbeat' | 'leaveGroup'> & {
    consumerSettings(options: ConsumerOptions): ConsumerSettings;
  };
  partitionLeaders(topic: string): number[];
  addReader(listener: ReaderPortListener): () => void;
}

/**
 * The embedded engine's broker access; undefined for a backend whose consumers run on the main
 * thread (Kafka: its client works only there), whose members' workers poll them through the handle.
 */
export function brokerAccess(backend: LogBackend): BrokerAccess | undefined {
  if ('addReader' in backend && 'partitionLeaders' in backend && 'groupCoordinator' in backend) return backend as LogBackend & BrokerAccess;
  return undefined;
}

export interface SinkWorkerHandleOptions {
  data: SinkWorkerData;
  backend: LogBackend;
  /** Set when `data.consumers` is `brokers`: the embedded engine's coordinator and brokers. */
  brokers: BrokerAccess | undefined;
  /** The pipelines' sinks that run on the main thread (`mainThread` factories), by group. */
  mainThreadSinks: ReadonlyMap<string, Sink>;
  telemetry: Telemetry;
  /** The pipelines' logger; the worker's log lines are written through its children. */
  logger: Logger;
  restartBackoff?: { initialMs: number; maxMs: number };
}

/** A thread that ran at least this long before it died is restarted after the shortest wait again. */
const STABLE_RUN_MS = 10_000;
/** How long a scrape waits for a busy worker's metrics before it shows the last ones sent. */
const METRICS_WAIT_MS = 1_000;

/** One run of the thread: a restart is a new incarnation with fresh members. */
interface Incarnation {
  worker: Worker;
  rpc: ThreadRpc<SinkWorkerCalls>;
  /** Members that joined through this thread and have not left, by group and client id. */
  members: Map<string, { group: string; memberId: string }>;
  /** The members' consumers held here for the thread (`main-thread` consumers), by member key. */
  consumers: Map<string, Consumer>;
  alive: boolean;
  /** performance.now() when it was spawned. */
  startedAt: number;
  removeReader: () => void;
}

export class SinkWorkerHandle {
  private current: Incarnation | undefined;
  private state: 'new' | 'running' | 'restarting' | 'stopping' | 'stopped' = 'new';
  private failures = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  /** Metrics of threads that ended, added up, so counters never go back after a restart. */
  private retired: MetricsSnapshot = [];
  /** The running thread's last metrics. */
  private latest: MetricsSnapshot = [];
  private readonly loggers = new Map<string, Logger>();
  private readonly backoff: { initialMs: number; maxMs: number };
  private readonly restartsTotal;

  constructor(private readonly options: SinkWorkerHandleOptions) {
    this.backoff = options.restartBackoff ?? { initialMs: 100, maxMs: 10_000 };
    options.telemetry.addSource(() => this.metrics());
    const restarts = options.telemetry.counter('tributary_sink_worker_restarts_total', 'Sink worker threads restarted after they died', ['worker']);
    const worker = { worker: String(options.data.worker) };
    // At 0 from the start: the first restart then shows in increase() (it needs a sample before it).
    restarts.inc(worker, 0);
    this.restartsTotal = restarts.labels(worker);
  }

  get index(): number {
    return this.options.data.worker;
  }

  /** Starts the thread and its sinks; rejects (with the thread ended) when a sink cannot start. */
  async start(): Promise<void> {
    const incarnation = this.spawn();
    try {
      await incarnation.rpc.call('start');
      this.state = 'running';
    } catch (err) {
      this.state = 'stopped';
      await this.end(incarnation);
      // Refused at its start, the thread can be started again (with pipelines whose sinks can).
      this.state = 'new';
      throw err;
    }
  }

  /** Members finish and commit what they hold and leave their groups, the sinks close, the thread ends. */
  async stop(): Promise<void> {
    clearTimeout(this.restartTimer);
    const incarnation = this.current;
    this.state = 'stopping';
    if (incarnation?.alive) {
      try {
        this.latest = await incarnation.rpc.call('stop');
      } catch (err) {
        this.options.logger.warn('sink worker did not stop cleanly', { worker: this.index, error: err });
      }
      await this.end(incarnation);
    }
    this.state = 'stopped';
  }

  /** Whether the thread was started (and not refused at its start): pipelines hosted from now on start with startHosted. */
  get started(): boolean {
    return this.state !== 'new';
  }

  /** Runs a pipeline's members here: from the thread's start, or from startHosted, and after every restart. */
  host(hosted: HostedPipeline): void {
    this.options.data.pipelines.push(hosted);
  }

  /**
   * Starts a hosted pipeline on the running thread; rejects, forgetting it, when its sink cannot
   * start. A thread that is restarting (or dies meanwhile) runs it when it is back.
   */
  async startHosted(group: string): Promise<void> {
    const { data } = this.options;
    const hosted = data.pipelines.find((p) => p.config.group === group);
    const incarnation = this.current;
    if (!hosted || this.state !== 'running' || !incarnation?.alive) return;
    try {
      await incarnation.rpc.call('addPipeline', hosted);
    } catch (err) {
      if (!incarnation.alive) return;
      data.pipelines = data.pipelines.filter((p) => p !== hosted);
      throw err;
    }
  }

  /** The pipeline's members here deliver and commit what they hold and leave its group; its sink closes. */
  async removePipeline(group: string): Promise<void> {
    const { data } = this.options;
    data.pipelines = data.pipelines.filter((hosted) => hosted.config.group !== group);
    const incarnation = this.current;
    if (this.state !== 'running' || !incarnation?.alive) return;
    try {
      await incarnation.rpc.call('removePipeline', group);
    } catch (err) {
      // A thread that died took its members out of the group already; its restart runs without the pipeline.
      if (incarnation.alive) throw err;
    }
  }

  /** Drops the metric series of a pipeline deleted for good: the thread's, and those of the threads that ended. */
  async forgetPipeline(group: string): Promise<void> {
    const incarnation = this.current;
    if (incarnation?.alive) {
      try {
        await incarnation.rpc.call('forgetPipeline', group);
      } catch (err) {
        // A thread that died meanwhile left its counts in `retired`, cleaned below.
        if (incarnation.alive) throw err;
      }
    }
    // After the thread's answer: a snapshot it sent before forgetting has arrived by then.
    this.retired = withoutSeries(this.retired, 'pipeline', group);
    this.latest = withoutSeries(this.latest, 'pipeline', group);
  }

  /** Ends the thread abruptly, as a crash would; it is restarted. For fault drills. */
  async kill(): Promise<void> {
    const incarnation = this.current;
    if (incarnation?.alive) await this.end(incarnation);
  }

  private spawn(): Incarnation {
    const { data, brokers, logger } = this.options;
    const worker = spawnWorkerThread('sink', { workerData: data, name: `tributary-sink-${data.worker}` });
    const incarnation: Incarnation = {
      worker,
      rpc: undefined as unknown as ThreadRpc<SinkWorkerCalls>,
      members: new Map(),
      consumers: new Map(),
      alive: true,
      startedAt: performance.now(),
      removeReader: () => undefined,
    };
    incarnation.rpc = new ThreadRpc<SinkWorkerCalls>(worker, this.serve(incarnation));
    this.current = incarnation;
    worker.on('error', (err) => logger.error('sink worker failed', { worker: this.index, error: err }));
    worker.once('exit', (code) => this.onExit(incarnation, code));
    if (brokers) {
      incarnation.removeReader = brokers.addReader((brokerId, port, changeCounts) => {
        incarnation.rpc.callTransferring('brokerPort', [brokerId, port, changeCounts], [port]).catch(() => port.close());
      });
    }
    return incarnation;
  }

  /** What the main thread answers a worker: the coordinator's calls, metadata, dead-letter produce, logs, metrics. */
  private serve(incarnation: Incarnation): MainThreadCalls {
    const { backend } = this.options;
    const brokers = () => {
      if (!this.options.brokers) throw new TributaryError('INTERNAL', `log.backend "${backend.kind}": the sink worker's members do not read brokers directly`);
      return this.options.brokers;
    };
    const consumer = (member: string) => {
      const found = incarnation.consumers.get(member);
      if (!found) throw new TributaryError('INTERNAL', `sink worker ${this.index} has no consumer for member ${JSON.stringify(member)}`);
      return found;
    };
    return {
      joinGroup: async (request) => {
        const coordinator = brokers().groupCoordinator;
        const { group, clientId } = request;
        const result = await coordinator.joinGroup({ ...request, onRebalance: () => incarnation.rpc.notify('rebalance', group, clientId) });
        // A join that completes after its thread died must not keep partitions from the others.
        if (!incarnation.alive) await coordinator.leaveGroup(group, result.memberId).catch(() => undefined);
        else incarnation.members.set(`${group}\u0000${clientId}`, { group, memberId: result.memberId });
        return result;
      },
      heartbeat: (group, memberId, generation) => brokers().groupCoordinator.heartbeat(group, memberId, generation),
      leaveGroup: async (group, memberId) => {
        for (const [key, member] of incarnation.members) if (member.group === group && member.memberId === memberId) incarnation.members.delete(key);
        await brokers().groupCoordinator.leaveGroup(group, memberId);
      },
      consumerPoll: (member, options) => (incarnation.consumers.get(member) ?? this.openConsumer(incarnation, member)).poll(options),
      consumerCommit: (member, offsets) => consumer(member).commit(offsets),
      sinkExport: (group, batch) => {
        const sink = this.options.mainThreadSinks.get(group);
        if (!sink) throw new TributaryError('INTERNAL', `the sink of pipeline ${group} does not run on the main thread`);
        return sink.export(clonedBatch(batch));
      },
      consumerClose: async (member) => {
        const closing = incarnation.consumers.get(member);
        incarnation.consumers.delete(member);
        await closing?.close();
      },
      commitOffsets: (group, offsets, member) => backend.commitOffsets(group, offsets, member),
      fetchOffsets: (group, partitions) => backend.fetchOffsets(group, partitions),
      describeTopic: (topic) => backend.describeTopic(topic),
      partitionLeaders: (topic) => brokers().partitionLeaders(topic),
      createTopic: (spec, options) => backend.createTopic(spec, options),
      produce: (topic, partition, records) => backend.produce(topic, partition, records),
      log: (level, name, message, fields) => this.loggerFor(name)[level](message, { worker: this.index, ...fields }),
      metricsSnapshot: (snapshot) => {
        if (incarnation === this.current) this.latest = snapshot;
      },
    };
  }

  /**
   * Builds a `main-thread` member's consumer on its first poll. Before it gives up partitions, the
   * worker's member delivers and commits what it holds (a dead thread holds nothing to commit).
   */
  private openConsumer(incarnation: Incarnation, member: string): Consumer {
    if (!incarnation.alive) throw new TributaryError('SINK_UNAVAILABLE', `sink worker ${this.index} ended`, { retriable: true });
    const settings = this.memberSettings(member);
    const consumer = this.options.backend.createConsumer({
      ...settings,
      onPartitionsRevoked: async (partitions) => {
        if (incarnation.alive) await incarnation.rpc.call('partitionsRevoked', member, partitions);
      },
    });
    incarnation.consumers.set(member, consumer);
    return consumer;
  }

  private memberSettings(member: string): MemberSettings {
    for (const hosted of this.options.data.pipelines) {
      for (const settings of hosted.members) if (memberKey(settings.group, settings.clientId ?? '') === member) return settings;
    }
    throw new TributaryError('INTERNAL', `sink worker ${this.index} hosts no member ${JSON.stringify(member)}`);
  }

  private onExit(incarnation: Incarnation, code: number): void {
    incarnation.alive = false;
    incarnation.rpc.close(new TributaryError('SINK_UNAVAILABLE', `sink worker ${this.index} ended (code ${code})`, { retriable: true }));
    incarnation.removeReader();
    // Its consumers on this thread leave their groups, so the partitions move on at once.
    for (const c of incarnation.consumers.values()) void c.close().catch(() => undefined);
    incarnation.consumers.clear();
    if (incarnation !== this.current) return;
    this.retire();
    const members = [...incarnation.members.values()];
    incarnation.members.clear();
    if (this.state !== 'running' && this.state !== 'restarting') return;
    // Its partitions go to the group's other members now rather than after a session timeout.
    for (const { group, memberId } of members) void this.options.brokers?.groupCoordinator.leaveGroup(group, memberId).catch(() => undefined);
    // How long it ran, on the monotonic clock: a wall clock stepped forward would make a thread
    // dying at once look stable, and restart it without a wait, over and over.
    this.failures = performance.now() - incarnation.startedAt >= STABLE_RUN_MS ? 0 : this.failures + 1;
    const delay = backoffDelay({ initial_interval: this.backoff.initialMs, max_interval: this.backoff.maxMs, max_elapsed_time: 0 }, Math.max(0, this.failures - 1));
    this.restartsTotal.inc();
    this.state = 'restarting';
    this.options.logger.error('sink worker died; restarting it, its uncommitted records will be delivered again', {
      worker: this.index,
      code,
      delayMs: delay,
      members: members.length,
    });
    this.restartTimer = setTimeout(() => this.restart(), delay);
  }

  private restart(): void {
    if (this.state !== 'restarting') return;
    const incarnation = this.spawn();
    incarnation.rpc.call('start').then(
      () => {
        if (this.state === 'restarting' && incarnation === this.current) this.state = 'running';
      },
      (err) => {
        this.options.logger.error('restarted sink worker could not start its sinks', { worker: this.index, error: err });
        // Its exit schedules the next attempt.
        void incarnation.worker.terminate();
      },
    );
  }

  /** Ends the thread and waits for it; its exit handler does the rest. */
  private async end(incarnation: Incarnation): Promise<void> {
    const exited = new Promise<void>((resolve) => {
      if (!incarnation.alive) resolve();
      else incarnation.worker.once('exit', () => resolve());
    });
    await incarnation.worker.terminate();
    await exited;
  }

  /** The running thread's metrics (fresh when it answers in time) added to those of the threads before it. */
  private async metrics(): Promise<MetricsSnapshot> {
    const incarnation = this.current;
    if (incarnation?.alive) {
      const timeout = new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), METRICS_WAIT_MS).unref());
      const fresh = await Promise.race([incarnation.rpc.call('metrics').catch(() => undefined), timeout]);
      if (fresh && incarnation === this.current) this.latest = fresh;
    }
    return [...this.retired, ...this.latest];
  }

  /** Keeps an ended thread's last metrics, added up into one snapshot so restarts do not pile them up. */
  private retire(): void {
    if (this.latest.length === 0) return;
    const combined = [...this.retired, ...this.latest];
    this.retired = combined;
    this.latest = [];
    void AggregatorRegistry.aggregate([combined])
      .getMetricsAsJSON()
      .then((summed) => {
        if (this.retired === combined) this.retired = summed;
      });
  }

  private loggerFor(name: string): Logger {
    let logger = this.loggers.get(name);
    if (!logger) {
      logger = name === '' ? this.options.logger : name.split('.').reduce((l, part) => l.child(part), this.options.logger);
      this.loggers.set(name, logger);
    }
    return logger;
  }
}
