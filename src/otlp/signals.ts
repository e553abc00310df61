// Runs on: any thread (shared code with no thread of its own).
/** The three OTLP/HTTP signals and the four topics they are written to (docs/records.md). */
export type Signal = 'traces' | 'metrics' | 'logs';

/** Topic per kind of record; log records with an event name go to `events`. */
export interface SignalTopics {
  traces: string;
  metrics: string;
  logs: string;
  events: string;
}

export type TopicKind = keyof SignalTopics;

export const DEFAULT_TOPICS: Readonly<SignalTopics> = {
  traces: 'otlp_spans',
  metrics: 'otlp_metrics',
  logs: 'otlp_logs',
  events: 'otlp_events',
};

export const REQUEST_MESSAGE: Readonly<Record<Signal, string>> = {
  traces: 'ExportTraceServiceRequest',
  metrics: 'ExportMetricsServiceRequest',
  logs: 'ExportLogsServiceRequest',
};

/** Record header naming a record's signal, so a consumer can decode it whatever its topic is called. */
export const SIGNAL_HEADER = 'otlp-signal';

/** Record header naming the tenant of the bearer token a record's request was sent with, when it names one. */
export const TENANT_HEADER = 'tenant';
