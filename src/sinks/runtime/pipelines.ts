/**
 * Runs on: main thread.
 *
 * The running pipelines: each a consumer group of `members` members feeding one sink. The
 * members run on a pool of sink worker threads (`sinks.workers`, started as members need them),
 * so a sink's work (decoding, conversion, compression, HTTP) never competes with ingest on the
 * main thread. Over the embedded engine they read its brokers from the worker; over Kafka their
 * Kafka consumers stay on the main thread (the Kafka client runs only there) and the workers poll
 * them. Pipelines come from the config at start and are added and removed at run time
 * (subscriptions, pause and resume).
 */
import type { PipelineConfig } from '../../config/schema.js';
import { TributaryError } from '../../errors.js';
import type { LogBackend } from '../../log/backend.js';
import type { Logger } from '../../telemetry/logger.js';
import type { Telemetry } from '../../telemetry/telemetry.js';
import { createSink, sinkFactories } from '../registry.js';
import type { Sink } from '../sink.js';
import { defaultSinkWorkers, placePipeline } from './placement.js';
import { type BrokerAccess, brokerAccess, SinkWorkerHandle } from './sink-worker-handle.js';
import { type MemberSettings, sinkPathOf } from './sink-worker-protocol.js';

/** A pipeline to run and where its settings are, for paths in errors: `pipelines[2]`, or "" for a request's body. */
export interface PipelineToRun {
  config: PipelineConfig;
  path: string;
}

export interface PipelinesOptions {
  /** What runs from the start: the config's pipelines (`pipelines[i]` in errors). */
  pipelines: readonly PipelineConfig[];
  /** Sink worker threads (`sinks.workers`); by default half the cores, between 1 and 8. */
  workers?: number;
  /** The log: the embedded engine (sink workers read its brokers directly) or Kafka. */
  backend: LogBackend;
  telemetry: Telemetry;
  logger: Logger;
}

export interface Pipelines {
  /** Sink worker threads running. */
  readonly workers: number;
  /** Starts the first pipelines' threads and sinks; rejects, with every thread ended, when a sink cannot start. */
  start(): Promise<void>;
  /**
   * Checks a pipeline's sink settings (a ConfigError naming `path`); the check that every
   * pipeline gets before it runs, for callers that must answer before it does.
   */
  check(pipeline: PipelineToRun): void;
  /** Starts a pipeline's sink and members; rejects, with nothing left running, when its sink cannot start. */
  add(pipeline: PipelineToRun): Promise<void>;
  /** The pipeline's members deliver and commit what they hold and leave its group; then its sink closes. */
  remove(group: string): Promise<void>;
  /**
   * Drops the metric series of a pipeline that was removed for good (a deleted subscription), so
   * that created and deleted pipelines do not pile up on /metrics. Not on a pause: its counts go
   * on when it resumes.
   */
  forget(group: string): Promise<void>;
  /** Whether the pipeline of this group runs. */
  has(group: string): boolean;
  /** Each member finishes and commits the batch in hand, leaves its group; then the sinks close and the threads end. */
  shutdown(): Promise<void>;
  /** Ends sink worker `index` abruptly, as a crash would; it is restarted. For fault drills. */
  killWorker(index: number): Promise<void>;
}

export function createPipelines(options: PipelinesOptions): Pipelines {
  return new SinkWorkerPool(options);
}

/** The pipelines' members on a pool of sink worker threads; pool slots get a thread when a member is first placed there. */
class SinkWorkerPool implements Pipelines {
  private readonly logger: Logger;
  private readonly brokers: BrokerAccess | undefined;
  private readonly handles: (SinkWorkerHandle | undefined)[];
  /** The config's pipelines, which run from the start. */
  private readonly configured: PipelineToRun[];
  /** The sinks whose client works only on the main thread, by group; their members export through them. */
  private readonly mainThreadSinks = new Map<string, Sink>();
  /** The running pipelines, by group, and the slots their members run on. */
  private readonly running = new Map<string, { config: PipelineConfig; slots: number[] }>();
  /** Adds and removes one at a time: a thread that starts must see every pipeline placed on it. */
  private changes: Promise<unknown> = Promise.resolve();
  private state: 'new' | 'running' | 'stopped' = 'new';

  constructor(private readonly options: PipelinesOptions) {
    this.logger = options.logger.child('sinks');
    this.brokers = brokerAccess(options.backend);
    const size = options.workers ?? defaultSinkWorkers();
    this.handles = Array.from({ length: size }, () => undefined);
    this.configured = options.pipelines.map((config, i) => ({ config, path: `pipelines[${i}]` }));
    // A bad config is refused before anything starts.
    for (const pipeline of this.configured) this.check(pipeline);
  }

  get workers(): number {
    return this.handles.filter((h) => h !== undefined).length;
  }

  check({ config, path }: PipelineToRun): void {
    // Built to check its settings, then dropped: the sink that runs is built on its worker.
    createSink(config.sink, { pipeline: config.group, path: sinkPathOf(path), topics: config.topics, logger: this.logger, telemetry: this.options.telemetry });
  }

  has(group: string): boolean {
    return this.running.has(group);
  }

  async start(): Promise<void> {
    await this.serially(async () => {
      for (const pipeline of this.configured) this.place(pipeline);
      const mainThread = [...this.mainThreadSinks.values()];
      // The main thread's sinks first: the workers' members export through them from their first batch.
      const started = await Promise.allSettled(mainThread.map((s) => s.start()));
      if (!started.some((r) => r.status === 'rejected')) started.push(...(await Promise.allSettled(this.threads().map((h) => h.start()))));
      const failed = started.find((r) => r.status === 'rejected');
      if (failed) {
        await this.stopAll();
        throw failed.reason;
      }
      this.state = 'running';
      for (const { config } of this.configured) this.logStarted(config);
    });
  }

  add(pipeline: PipelineToRun): Promise<void> {
    return this.serially(async () => {
      if (this.state !== 'running') throw new TributaryError('SHUTTING_DOWN', 'the pipelines are not running', { retriable: true });
      const { group } = pipeline.config;
      if (this.running.has(group)) throw new TributaryError('INTERNAL', `pipeline ${group} runs already`);
      this.check(pipeline);
      const { slots, mainThreadSink } = this.place(pipeline);
      try {
        await mainThreadSink?.start();
        await Promise.all([...new Set(slots)].map((slot) => this.startSlot(slot, group)));
      } catch (err) {
        await this.unplace(group).catch(() => undefined);
        throw err;
      }
      this.logStarted(pipeline.config);
    });
  }

  remove(group: string): Promise<void> {
    return this.serially(async () => {
      if (!this.running.has(group)) return;
      await this.unplace(group);
      this.logger.info('pipeline stopped', { pipeline: group });
    });
  }

  forget(group: string): Promise<void> {
    return this.serially(async () => {
      if (this.running.has(group)) throw new TributaryError('INTERNAL', `pipeline ${group} runs: remove it before forgetting its metrics`);
      await Promise.all([this.options.telemetry.forgetSeries('pipeline', group), ...this.threads().map((h) => h.forgetPipeline(group))]);
    });
  }

  async shutdown(): Promise<void> {
    await this.serially(() => this.stopAll());
  }

  async killWorker(index: number): Promise<void> {
    const handle = this.handles[index];
    if (!handle) throw new TributaryError('INVALID_REQUEST', `there is no sink worker ${index}`);
    await handle.kill();
  }

  /** Decides where the pipeline's members run and records them on those slots' handles; starts nothing. */
  private place({ config, path }: PipelineToRun): { slots: number[]; mainThreadSink: Sink | undefined } {
    const factory = sinkFactories.get(config.sink.type);
    // Members each slot runs now: where the next ones go.
    const load = this.handles.map(() => 0);
    for (const { slots } of this.running.values()) for (const slot of slots) load[slot]++;
    const slots = placePipeline(config.members, load, factory?.oneInstance === true);
    const members = new Map<number, MemberSettings[]>();
    slots.forEach((slot, m) => {
      members.set(slot, [...(members.get(slot) ?? []), this.memberSettings(config, m)]);
    });
    for (const [slot, settings] of members) this.handle(slot).host({ path, config, members: settings });
    let mainThreadSink: Sink | undefined;
    if (factory?.mainThread) {
      mainThreadSink = createSink(config.sink, { pipeline: config.group, path: sinkPathOf(path), topics: config.topics, logger: this.logger, telemetry: this.options.telemetry });
      this.mainThreadSinks.set(config.group, mainThreadSink);
    }
    this.running.set(config.group, { config, slots });
    return { slots, mainThreadSink };
  }

  /** Starts the pipeline's members on a slot: with the slot's thread when it has none yet. */
  private async startSlot(slot: number, group: string): Promise<void> {
    const handle = this.handle(slot);
    if (handle.started) await handle.startHosted(group);
    else await handle.start();
  }

  /** Stops the pipeline's members and sinks and frees its slots; every part runs even when one fails. */
  private async unplace(group: string): Promise<void> {
    const running = this.running.get(group);
    if (!running) return;
    this.running.delete(group);
    const results = await Promise.allSettled([...new Set(running.slots)].map((slot) => this.handle(slot).removePipeline(group)));
    const sink = this.mainThreadSinks.get(group);
    this.mainThreadSinks.delete(group);
    if (sink) results.push(...(await Promise.allSettled([sink.shutdown()])));
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /** The workers finish and commit first; then the main thread's sinks, which their last exports used, close. */
  private async stopAll(): Promise<void> {
    this.state = 'stopped';
    await Promise.allSettled(this.threads().map((h) => h.stop()));
    await Promise.allSettled([...this.mainThreadSinks.values()].map((s) => s.shutdown()));
    this.running.clear();
  }

  private handle(slot: number): SinkWorkerHandle {
    let handle = this.handles[slot];
    if (!handle) {
      const consumers = this.brokers ? 'brokers' : 'main-thread';
      const { backend, telemetry } = this.options;
      handle = new SinkWorkerHandle({
        data: { worker: slot, consumers, pipelines: [] },
        backend,
        brokers: this.brokers,
        mainThreadSinks: this.mainThreadSinks,
        telemetry,
        logger: this.logger,
      });
      this.handles[slot] = handle;
    }
    return handle;
  }

  private threads(): SinkWorkerHandle[] {
    return this.handles.filter((h): h is SinkWorkerHandle => h !== undefined);
  }

  private memberSettings(config: PipelineConfig, m: number): MemberSettings {
    const settings = {
      group: config.group,
      clientId: `${config.group}-${m}`,
      topics: [...config.topics],
      autoOffsetReset: config.auto_offset_reset,
      // Its lag shows from where it starts, and a restart before its first delivery starts there again.
      commitStartPosition: true,
      // Absent, the group's default from the `groups:` block applies.
      ...(config.assignor ? { assignor: config.assignor } : {}),
    };
    // The embedded coordinator checks them and fills in its defaults; Kafka's backend does where it builds the consumer.
    return this.brokers ? this.brokers.groupCoordinator.consumerSettings(settings) : settings;
  }

  private logStarted(config: PipelineConfig): void {
    this.logger.info('pipeline started', { pipeline: config.group, sink: config.sink.type, members: config.members, topics: config.topics });
  }

  private serially<T>(change: () => Promise<T>): Promise<T> {
    const next = this.changes.then(change);
    this.changes = next.catch(() => undefined);
    return next;
  }
}
