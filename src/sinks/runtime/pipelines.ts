/**
 * Runs on: main thread.
 *
 * Every configured pipeline: a consumer group of `members` members feeding one sink. The
 * members run on a pool of sink worker threads (`sinks.workers`), so a sink's work (decoding,
 * conversion, compression, HTTP) never competes with ingest on the main thread. Over the
 * embedded engine they read its brokers from the worker; over Kafka their Kafka consumers stay on
 * the main thread (the Kafka client runs only there) and the workers poll them.
 */
import type { PipelineConfig } from '../../config/schema.js';
import type { LogBackend } from '../../log/backend.js';
import type { Logger } from '../../telemetry/logger.js';
import type { Telemetry } from '../../telemetry/telemetry.js';
import { TributaryError } from '../../errors.js';
import { createSink, sinkFactories } from '../registry.js';
import type { Sink } from '../sink.js';
import { defaultSinkWorkers, placeMembers } from './placement.js';
import { brokerAccess, SinkWorkerHandle } from './sink-worker-handle.js';
import type { MemberSettings } from './sink-worker-protocol.js';

export interface PipelinesOptions {
  pipelines: readonly PipelineConfig[];
  /** Sink worker threads (`sinks.workers`); by default half the cores, between 1 and 8. */
  workers?: number;
  /** The log: the embedded engine (sink workers read its brokers directly) or Kafka. */
  backend: LogBackend;
  telemetry: Telemetry;
  logger: Logger;
}

export interface Pipelines {
  /** Sink worker threads running (none without pipelines). */
  readonly workers: number;
  /** Starts the threads and their sinks; rejects, with every thread ended, when a sink cannot start. */
  start(): Promise<void>;
  /** Each member finishes and commits the batch in hand, leaves its group; then the sinks close and the threads end. */
  shutdown(): Promise<void>;
  /** Ends sink worker `index` abruptly, as a crash would; it is restarted. For fault drills. */
  killWorker(index: number): Promise<void>;
}

/**
 * Checks every pipeline's sink settings (a sink is built here for that, then dropped: the sinks
 * that run are built on their worker, except those whose client works only on the main thread,
 * kept to run here) and member settings, so a bad config is refused before anything starts;
 * then places the members on the workers.
 */
export function createPipelines(options: PipelinesOptions): Pipelines {
  const { telemetry } = options;
  const logger = options.logger.child('sinks');
  if (options.pipelines.length === 0) return { workers: 0, start: async () => {}, shutdown: async () => {}, killWorker: noWorker };
  const { backend } = options;
  const brokers = brokerAccess(backend);
  const mainThreadSinks = new Map<number, Sink>();
  options.pipelines.forEach((config, i) => {
    const sink = createSink(config.sink, { pipeline: config.group, path: `pipelines[${i}].sink`, topics: config.topics, logger, telemetry });
    if (sinkFactories.get(config.sink.type)?.mainThread) mainThreadSinks.set(i, sink);
  });
  const placement = placeMembers(
    options.pipelines,
    options.workers ?? defaultSinkWorkers(),
    (config) => sinkFactories.get(config.sink.type)?.oneInstance === true,
    (config, m): MemberSettings => {
      const settings = {
        group: config.group,
        clientId: `${config.group}-${m}`,
        topics: [...config.topics],
        autoOffsetReset: config.auto_offset_reset,
        // Absent, the group's default from the `groups:` block applies.
        ...(config.assignor ? { assignor: config.assignor } : {}),
      };
      // The embedded coordinator checks them and fills in its defaults; Kafka's backend does where it builds the consumer.
      return brokers ? brokers.groupCoordinator.consumerSettings(settings) : settings;
    },
  );
  const consumers = brokers ? 'brokers' : 'main-thread';
  const handles = placement.map((pipelines, worker) => new SinkWorkerHandle({ data: { worker, consumers, pipelines }, backend, brokers, mainThreadSinks, telemetry, logger }));
  /** The workers finish and commit first; then the main thread's sinks, which their last exports used, close. */
  const shutdown = async () => {
    await Promise.allSettled(handles.map((h) => h.stop()));
    await Promise.allSettled([...mainThreadSinks.values()].map((s) => s.shutdown()));
  };

  return {
    workers: handles.length,
    async start() {
      // The main thread's sinks first: the workers' members export through them from their first batch.
      const started = await Promise.allSettled([...mainThreadSinks.values()].map((s) => s.start()));
      if (!started.some((r) => r.status === 'rejected')) started.push(...(await Promise.allSettled(handles.map((h) => h.start()))));
      const failed = started.find((r) => r.status === 'rejected');
      if (failed) {
        await shutdown();
        throw failed.reason;
      }
      for (const config of options.pipelines) {
        logger.info('pipeline started', { pipeline: config.group, sink: config.sink.type, members: config.members, topics: config.topics });
      }
    },
    shutdown,
    async killWorker(index) {
      const handle = handles[index];
      if (!handle) return noWorker(index);
      await handle.kill();
    },
  };
}

async function noWorker(index: number): Promise<void> {
  throw new TributaryError('INVALID_REQUEST', `there is no sink worker ${index}`);
}
