/**
 * Runs on: main thread.
 *
 * One sink worker thread seen from the main thread: starts it, serves what it asks (the group
 * coordinator, topic metadata, dead-letter produce, its logs and metrics), hands it a port to
 * every broker, and restarts it when it dies. A thread that dies leaves its groups at once, so
 * its partitions move on without waiting for a session timeout; what its members had not
 * committed is read again (by the restarted thread or another member) and delivered again.
 */
import type { Worker } from 'node:worker_threads';
import { AggregatorRegistry } from 'prom-client';
import { ConfigError, TributaryError } from '../../errors.js';
import type { ConsumerSettings } from '../../groups/consumer.js';
import type { GroupProtocol } from '../../groups/protocol.js';
import type { ConsumerOptions } from '../../groups/types.js';
import type { LogBackend } from '../../log/backend.js';
import type { ReaderPortListener } from '../../log/embedded/embedded-backend.js';
import { spawnWorkerThread } from '../../log/embedded/spawn-worker.js';
import type { Logger } from '../../telemetry/logger.js';
import type { MetricsSnapshot, Telemetry } from '../../telemetry/telemetry.js';
import { ThreadRpc } from '../../thread-rpc.js';
import type { MainThreadCalls, SinkWorkerCalls, SinkWorkerData } from './sink-worker-protocol.js';

/** What sink workers need of the log: the embedded engine's coordinator, metadata and broker ports. */
export interface SinkWorkerBackend extends Pick<LogBackend, 'createTopic' | 'produce' | 'describeTopic' | 'commitOffsets' | 'fetchOffsets'> {
  readonly groupCoordinator: Pick<GroupProtocol, 'joinGroup' | 'heartbeat' | 'leaveGroup'> & {
    consumerSettings(options: ConsumerOptions): ConsumerSettings;
  };
  partitionLeaders(topic: string): number[];
  addReader(listener: ReaderPortListener): () => void;
}

/** The backend as sink workers use it; only the embedded engine lets other threads read its brokers. */
export function asSinkWorkerBackend(backend: LogBackend): SinkWorkerBackend {
  if ('addReader' in backend && 'partitionLeaders' in backend && 'groupCoordinator' in backend) return backend as LogBackend & SinkWorkerBackend;
  throw new ConfigError(`pipelines: sink workers read the embedded log; log.backend "${backend.kind}" cannot run pipelines in this process`);
}

export interface SinkWorkerHandleOptions {
  data: SinkWorkerData;
  backend: SinkWorkerBackend;
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
  alive: boolean;
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
    this.restartsTotal = options.telemetry
      .counter('tributary_sink_worker_restarts_total', 'Sink worker threads restarted after they died', ['worker'])
      .labels(String(options.data.worker));
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

  /** Ends the thread abruptly, as a crash would; it is restarted. For fault drills. */
  async kill(): Promise<void> {
    const incarnation = this.current;
    if (incarnation?.alive) await this.end(incarnation);
  }

  private spawn(): Incarnation {
    const { data, backend, logger } = this.options;
    const worker = spawnWorkerThread('sink', { workerData: data, name: `tributary-sink-${data.worker}` });
    const incarnation: Incarnation = {
      worker,
      rpc: undefined as unknown as ThreadRpc<SinkWorkerCalls>,
      members: new Map(),
      alive: true,
      startedAt: Date.now(),
      removeReader: () => undefined,
    };
    incarnation.rpc = new ThreadRpc<SinkWorkerCalls>(worker, this.serve(incarnation));
    this.current = incarnation;
    worker.on('error', (err) => logger.error('sink worker failed', { worker: this.index, error: err }));
    worker.once('exit', (code) => this.onExit(incarnation, code));
    incarnation.removeReader = backend.addReader((brokerId, port) => {
      incarnation.rpc.callTransferring('brokerPort', [brokerId, port], [port]).catch(() => port.close());
    });
    return incarnation;
  }

  /** What the main thread answers a worker: the coordinator's calls, metadata, dead-letter produce, logs, metrics. */
  private serve(incarnation: Incarnation): MainThreadCalls {
    const { backend } = this.options;
    const coordinator = backend.groupCoordinator;
    return {
      joinGroup: async (request) => {
        const { group, clientId } = request;
        const result = await coordinator.joinGroup({ ...request, onRebalance: () => incarnation.rpc.notify('rebalance', group, clientId) });
        // A join that completes after its thread died must not keep partitions from the others.
        if (!incarnation.alive) await coordinator.leaveGroup(group, result.memberId).catch(() => undefined);
        else incarnation.members.set(`${group}\u0000${clientId}`, { group, memberId: result.memberId });
        return result;
      },
      heartbeat: (group, memberId, generation) => coordinator.heartbeat(group, memberId, generation),
      leaveGroup: async (group, memberId) => {
        for (const [key, member] of incarnation.members) if (member.group === group && member.memberId === memberId) incarnation.members.delete(key);
        await coordinator.leaveGroup(group, memberId);
      },
      commitOffsets: (group, offsets, member) => backend.commitOffsets(group, offsets, member),
      fetchOffsets: (group, partitions) => backend.fetchOffsets(group, partitions),
      describeTopic: (topic) => backend.describeTopic(topic),
      partitionLeaders: (topic) => backend.partitionLeaders(topic),
      createTopic: (spec, options) => backend.createTopic(spec, options),
      produce: (topic, partition, records) => backend.produce(topic, partition, records),
      log: (level, name, message, fields) => this.loggerFor(name)[level](message, { worker: this.index, ...fields }),
      metricsSnapshot: (snapshot) => {
        if (incarnation === this.current) this.latest = snapshot;
      },
    };
  }

  private onExit(incarnation: Incarnation, code: number): void {
    incarnation.alive = false;
    incarnation.rpc.close(new TributaryError('SINK_UNAVAILABLE', `sink worker ${this.index} ended (code ${code})`, { retriable: true }));
    incarnation.removeReader();
    if (incarnation !== this.current) return;
    this.retire();
    const members = [...incarnation.members.values()];
    incarnation.members.clear();
    if (this.state !== 'running' && this.state !== 'restarting') return;
    // Its partitions go to the group's other members now rather than after a session timeout.
    for (const { group, memberId } of members) void this.options.backend.groupCoordinator.leaveGroup(group, memberId).catch(() => undefined);
    this.failures = Date.now() - incarnation.startedAt >= STABLE_RUN_MS ? 0 : this.failures + 1;
    const delay = Math.min(this.backoff.maxMs, this.backoff.initialMs * 2 ** Math.max(0, this.failures - 1));
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
