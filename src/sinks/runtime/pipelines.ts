import type { PipelineConfig } from '../../config/schema.js';
import type { LogBackend } from '../../log/backend.js';
import type { Logger } from '../../telemetry/logger.js';
import type { Telemetry } from '../../telemetry/telemetry.js';
import { createSink } from '../registry.js';
import type { Sink } from '../sink.js';
import { DeadLetterTopic } from './dead-letter.js';
import { PipelineMember } from './pipeline-member.js';
import { createSinkMetrics } from './sink-metrics.js';

/** What pipelines need from the log: consumers for their groups, and produce for dead letters. */
export type PipelineBackend = Pick<LogBackend, 'createTopic' | 'produce' | 'createConsumer'>;

export interface PipelinesOptions {
  pipelines: readonly PipelineConfig[];
  backend: PipelineBackend;
  telemetry: Telemetry;
  logger: Logger;
}

export interface Pipelines {
  start(): Promise<void>;
  /** Each member finishes and commits the batch in hand, leaves its group; then the sinks close. */
  shutdown(): Promise<void>;
}

interface RunningPipeline {
  config: PipelineConfig;
  sink: Sink;
  members: PipelineMember[];
}

/**
 * Every configured pipeline: a consumer group of `members` members feeding one sink. Sinks are
 * built (and their settings checked) here, so a bad config is refused before anything starts.
 */
export function createPipelines(options: PipelinesOptions): Pipelines {
  const { backend, telemetry } = options;
  const logger = options.logger.child('sinks');
  const metrics = createSinkMetrics(telemetry);
  const stopping = new AbortController();

  const pipelines: RunningPipeline[] = options.pipelines.map((config, i) => {
    const sink = createSink(config.sink, {
      pipeline: config.group,
      path: `pipelines[${i}].sink`,
      topics: config.topics,
      logger,
      telemetry,
    });
    const deadLetter = config.dead_letter.enabled
      ? new DeadLetterTopic(backend, config.dead_letter.topic ?? `${config.group}.dlq`, config.group)
      : undefined;
    const delivery = { pipeline: config.group, sink, retry: config.retry, deadLetter, metrics, logger, stopping: stopping.signal };
    const members = Array.from(
      { length: config.members },
      (_, m) =>
        new PipelineMember(
          (o) => backend.createConsumer(o),
          {
            group: config.group,
            clientId: `${config.group}-${m}`,
            topics: [...config.topics],
            autoOffsetReset: config.auto_offset_reset,
            // Absent, the group's default from the `groups:` block applies.
            ...(config.assignor ? { assignor: config.assignor } : {}),
          },
          config.batch,
          delivery,
        ),
    );
    return { config, sink, members };
  });

  return {
    async start() {
      for (const p of pipelines) await p.sink.start();
      for (const p of pipelines) {
        for (const m of p.members) m.start();
        logger.info('pipeline started', { pipeline: p.config.group, sink: p.sink.type, members: p.members.length, topics: p.config.topics });
      }
    },
    async shutdown() {
      stopping.abort();
      await Promise.all(pipelines.flatMap((p) => p.members.map((m) => m.stop())));
      await Promise.all(pipelines.map((p) => p.sink.shutdown()));
    },
  };
}
