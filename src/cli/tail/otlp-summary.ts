// Runs on: main thread of the `tributary` command (`tributary tail`).
import { attribute, type Resource } from './otlp-json.js';
import type { Signal } from '../../otlp/signals.js';

/** Item containers of each signal in OTLP/JSON: resource list, scope list, item list. */
const PATHS: Record<Signal, [string, string, string]> = {
  traces: ['resourceSpans', 'scopeSpans', 'spans'],
  metrics: ['resourceMetrics', 'scopeMetrics', 'metrics'],
  logs: ['resourceLogs', 'scopeLogs', 'logRecords'],
};

const POINT_KINDS = ['gauge', 'sum', 'histogram', 'exponentialHistogram', 'summary'];

type Json = Record<string, unknown>;
const list = (value: unknown): Json[] => (Array.isArray(value) ? (value as Json[]) : []);

function metricPoints(metric: Json): number {
  for (const kind of POINT_KINDS) {
    const body = metric[kind] as Json | undefined;
    if (body) return list(body.dataPoints).length;
  }
  return 0;
}

export interface RequestSummary {
  /** Spans, metric data points or log records. */
  items: number;
  services: Set<string>;
}

/** Counts the items of a decoded Export*ServiceRequest and names the services they came from. */
export function summarize(signal: Signal, request: Json, into: RequestSummary = { items: 0, services: new Set() }): RequestSummary {
  const [resources, scopes, items] = PATHS[signal];
  for (const r of list(request[resources])) {
    const service = attribute((r.resource as Resource | undefined)?.attributes, 'service.name');
    into.services.add(service ?? 'unknown');
    for (const s of list(r[scopes])) {
      const found = list(s[items]);
      into.items += signal === 'metrics' ? found.reduce((n, m) => n + metricPoints(m), 0) : found.length;
    }
  }
  return into;
}
