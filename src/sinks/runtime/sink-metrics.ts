/** Runs on: a sink worker. */
import { LATENCY_BUCKETS, type Telemetry } from '../../telemetry/telemetry.js';

/** The self telemetry of sink pipelines, labelled by pipeline (its group name). Lag comes from the group metrics. */
export function createSinkMetrics(telemetry: Telemetry) {
  return {
    items: telemetry.counter('tributary_sink_items_total', 'Items (spans, data points, log records) a sink delivered', ['pipeline']),
    records: telemetry.counter('tributary_sink_records_total', 'Records by outcome: exported, dead_lettered, dropped', ['pipeline', 'outcome']),
    failures: telemetry.counter('tributary_sink_failures_total', 'Failed export attempts, by kind: retriable or permanent', ['pipeline', 'kind']),
    retries: telemetry.counter('tributary_sink_retries_total', 'Export attempts repeated after a retriable failure', ['pipeline']),
    rejectedItems: telemetry.counter('tributary_sink_rejected_items_total', 'Items the destination refused in a partial success', ['pipeline']),
    droppedItems: telemetry.counter('tributary_sink_dropped_items_total', 'Items a sink could not express at its destination', ['pipeline']),
    filtered: telemetry.counter('tributary_sink_filtered_total', "Records the pipeline's filter left out whole (committed, never exported)", ['pipeline']),
    filteredItems: telemetry.counter(
      'tributary_sink_filtered_items_total',
      "Log records the pipeline's min_severity left out of records it exported",
      ['pipeline'],
    ),
    exportDuration: telemetry.histogram(
      'tributary_sink_export_duration_seconds',
      'Time of one export attempt',
      ['pipeline', 'outcome'],
      LATENCY_BUCKETS,
    ),
  };
}

export type SinkMetrics = ReturnType<typeof createSinkMetrics>;

/**
 * Puts a pipeline's counters at 0 for every outcome and kind as it starts on a thread. A series
 * born at its first increment has no sample before it, so increase() and rate() (and an alert on
 * them) miss that first dead letter or failure. A deleted pipeline's series go with its others
 * (Telemetry.forgetSeries).
 */
export function startPipelineSeries(metrics: SinkMetrics, pipeline: string): void {
  for (const outcome of ['exported', 'dead_lettered', 'dropped']) metrics.records.inc({ pipeline, outcome }, 0);
  for (const kind of ['retriable', 'permanent']) metrics.failures.inc({ pipeline, kind }, 0);
  for (const counter of [metrics.items, metrics.retries, metrics.rejectedItems, metrics.droppedItems, metrics.filtered, metrics.filteredItems]) {
    counter.inc({ pipeline }, 0);
  }
}
