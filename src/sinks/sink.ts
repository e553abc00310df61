/**
 * Runs on: a sink worker; the main thread also builds each sink once, to check its settings
 * before start, and runs the sinks whose factory says `mainThread`.
 */
import type { ConsumedRecord } from '../log/types.js';
import type { Telemetry } from '../telemetry/telemetry.js';
import type { Logger } from '../telemetry/logger.js';

import type { Signal } from '../otlp/signals.js';

export type { Signal };

/** The records of one batch that carry one signal, each value a complete Export*ServiceRequest. */
export interface SignalRecords {
  signal: Signal;
  records: ConsumedRecord[];
}

/**
 * What the runtime hands a sink: one batch, its records grouped by signal in offset order. A
 * retry passes the same objects again, so a sink that sends each signal on its own can skip the
 * groups it already delivered.
 */
export interface SinkBatch {
  signals: SignalRecords[];
  /** Number of records in the batch. */
  records: number;
}

/** What a sink reports after the destination accepted a batch. */
export interface ExportOutcome {
  /** The batch's items, when the sink counted them anyway (e.g. for a summary): the runtime then does not count them again. */
  items?: number;
  /** Items (spans, data points, log records) the destination rejected while accepting the rest. */
  rejectedItems?: number;
  /** Items the sink could not express at the destination and left out, counted, never silently. */
  droppedItems?: number;
}

/**
 * A sink delivers batches to one destination. `export` resolves once the destination accepted
 * the batch and throws a TributaryError otherwise: SINK_UNAVAILABLE (retriable, with
 * `details.retryAfterMs` when the destination said when) or SINK_REJECTED (permanent).
 */
export interface Sink {
  readonly type: string;
  start(): Promise<void>;
  export(batch: SinkBatch): Promise<ExportOutcome>;
  /** Called after the last export finished; releases files and connections. */
  shutdown(): Promise<void>;
}

export interface SinkContext {
  /** The pipeline's group name, used in logs and metric labels. */
  pipeline: string;
  /** Config path of the sink block, e.g. `pipelines[0].sink`, for error messages. */
  path: string;
  /** The topics the pipeline reads, so a sink can refuse signals it cannot carry. */
  topics: readonly string[];
  logger: Logger;
  telemetry: Telemetry;
}

export interface SinkFactory {
  readonly type: string;
  /**
   * The members of a pipeline share one sink on one sink worker, instead of spreading over the
   * workers with a sink each: for sinks with one writer (a file) or state across members.
   */
  readonly oneInstance?: boolean;
  /**
   * The sink's client works only on the main thread (the Kafka client dispatches its callbacks on
   * the main thread's event loop): the sink is built and run there, one for the pipeline, and the
   * members on the sink workers hand it each batch (a copy: a retry passes equal, not the same,
   * objects).
   */
  readonly mainThread?: boolean;
  /** Validates the sink's own keys (throwing ConfigError naming the path) and builds the sink. */
  create(config: Record<string, unknown>, context: SinkContext): Sink;
}
