// Runs on: any thread (shared code with no thread of its own).
import { FIELD } from './schema.js';

/**
 * Field numbers that several OTLP messages share, for code that reads or writes any of them
 * alike (the three signals, the five kinds of metric data). Taken from the message tables of
 * schema.ts, each checked at load to agree across the messages it stands for.
 */

/** A number the protos give several messages alike; throws at load if they ever disagree. */
function same(...numbers: number[]): number {
  if (numbers.some((n) => n !== numbers[0])) throw new Error(`field numbers ${numbers.join(', ')} should be equal`);
  return numbers[0];
}

/**
 * The fields the three signals number alike, for code that walks any signal's request:
 * Export*ServiceRequest holds Resource{Spans,Metrics,Logs} entries, which hold a Resource and
 * Scope{Spans,Metrics,Logs} entries, which hold an InstrumentationScope and the items.
 */
export const SIGNAL_FIELD = Object.freeze({
  resourceEntries: same(FIELD.ExportTraceServiceRequest.resourceSpans, FIELD.ExportMetricsServiceRequest.resourceMetrics, FIELD.ExportLogsServiceRequest.resourceLogs),
  resource: same(FIELD.ResourceSpans.resource, FIELD.ResourceMetrics.resource, FIELD.ResourceLogs.resource),
  scopeEntries: same(FIELD.ResourceSpans.scopeSpans, FIELD.ResourceMetrics.scopeMetrics, FIELD.ResourceLogs.scopeLogs),
  scope: same(FIELD.ScopeSpans.scope, FIELD.ScopeMetrics.scope, FIELD.ScopeLogs.scope),
  items: same(FIELD.ScopeSpans.spans, FIELD.ScopeMetrics.metrics, FIELD.ScopeLogs.logRecords),
});

/** The fields of every signal's Export*ServiceResponse and its Export*PartialSuccess. */
export const RESPONSE_FIELD = Object.freeze({
  partialSuccess: same(FIELD.ExportTraceServiceResponse.partialSuccess, FIELD.ExportMetricsServiceResponse.partialSuccess, FIELD.ExportLogsServiceResponse.partialSuccess),
  rejected: same(FIELD.ExportTracePartialSuccess.rejectedSpans, FIELD.ExportMetricsPartialSuccess.rejectedDataPoints, FIELD.ExportLogsPartialSuccess.rejectedLogRecords),
  errorMessage: same(FIELD.ExportTracePartialSuccess.errorMessage, FIELD.ExportMetricsPartialSuccess.errorMessage, FIELD.ExportLogsPartialSuccess.errorMessage),
});

/** Metric fields that hold data points: gauge, sum, histogram, exponential histogram, summary. */
export const METRIC_DATA_FIELDS: ReadonlySet<number> = new Set([
  FIELD.Metric.gauge,
  FIELD.Metric.sum,
  FIELD.Metric.histogram,
  FIELD.Metric.exponentialHistogram,
  FIELD.Metric.summary,
]);

/** The data points' field in each of them. */
export const DATA_POINTS_FIELD = same(
  FIELD.Gauge.dataPoints,
  FIELD.Sum.dataPoints,
  FIELD.Histogram.dataPoints,
  FIELD.ExponentialHistogram.dataPoints,
  FIELD.Summary.dataPoints,
);
