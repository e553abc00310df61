// Runs in: the browser (the web console).
/**
 * What the tail shows of a record, from the OTLP/JSON that the records API decodes
 * (`format=otlp-json`): spans, log records and events, and metric data points, each with the
 * service (resource `service.name`) it came from. Times in OTLP/JSON are decimal strings of ns.
 */
import type { DecodedRecord } from '../types.js';

type Json = Record<string, unknown>;
type KeyValue = { key: string; value?: Json };

export interface Where {
  partition: number;
  offset: number;
  /** Unique in the tail: partition, offset, and the item's place in its record. */
  id: string;
}

export interface SpanItem extends Where {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  service: string;
  /** Start and end in µs since the epoch (exact in a double, unlike ns). */
  startUs: number;
  endUs: number;
  error: boolean;
  statusMessage: string;
}

export interface LogItem extends Where {
  kind: 'log' | 'event';
  service: string;
  timeMs: number;
  severity: string;
  /** The severity's range: 1-4 TRACE … 21-24 FATAL, 0 unset. */
  severityNumber: number;
  eventName: string;
  body: string;
  traceId: string;
}

export interface MetricPointItem extends Where {
  service: string;
  timeMs: number;
  metric: string;
  type: string;
  unit: string;
  value: string;
  attributes: string;
}

export interface TailItems {
  spans: SpanItem[];
  logs: LogItem[];
  metrics: MetricPointItem[];
  /** Records that did not decode, with why. */
  undecoded: (Where & { error: string })[];
}

const SEVERITY_NAMES = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'];

function severityName(n: number): string {
  return n >= 1 && n <= 24 ? SEVERITY_NAMES[Math.floor((n - 1) / 4)] : '';
}

const list = (v: unknown): Json[] => (Array.isArray(v) ? (v as Json[]) : []);
const nanosToMicros = (v: unknown): number => (typeof v === 'string' && v !== '' ? Number(BigInt(v) / 1000n) : 0);

/** An AnyValue as text. */
export function anyValueText(v: Json | undefined): string {
  if (!v) return '';
  if ('stringValue' in v) return String(v.stringValue);
  if ('intValue' in v) return String(v.intValue);
  if ('doubleValue' in v) return String(v.doubleValue);
  if ('boolValue' in v) return String(v.boolValue);
  if ('bytesValue' in v) return `base64:${v.bytesValue}`;
  if ('arrayValue' in v) return `[${list((v.arrayValue as Json).values).map(anyValueText).join(', ')}]`;
  if ('kvlistValue' in v) return `{${attributesText((v.kvlistValue as Json).values)}}`;
  return '';
}

function attributesText(attributes: unknown): string {
  return (list(attributes) as KeyValue[]).map((a) => `${a.key}=${anyValueText(a.value)}`).join(', ');
}

function serviceOf(resourceEntry: Json): string {
  const attributes = list((resourceEntry.resource as Json | undefined)?.attributes) as KeyValue[];
  const name = attributes.find((a) => a.key === 'service.name');
  return name ? anyValueText(name.value) : 'unknown service';
}

function addSpans(value: Json, at: () => Where, out: SpanItem[]): void {
  for (const rs of list(value.resourceSpans)) {
    const service = serviceOf(rs);
    for (const ss of list(rs.scopeSpans)) {
      for (const s of list(ss.spans)) {
        const status = (s.status as Json | undefined) ?? {};
        out.push({
          ...at(),
          traceId: String(s.traceId ?? ''),
          spanId: String(s.spanId ?? ''),
          parentSpanId: String(s.parentSpanId ?? ''),
          name: String(s.name ?? ''),
          service,
          startUs: nanosToMicros(s.startTimeUnixNano),
          endUs: nanosToMicros(s.endTimeUnixNano),
          error: status.code === 2,
          statusMessage: String(status.message ?? ''),
        });
      }
    }
  }
}

function addLogs(value: Json, at: () => Where, out: LogItem[]): void {
  for (const rl of list(value.resourceLogs)) {
    const service = serviceOf(rl);
    for (const sl of list(rl.scopeLogs)) {
      for (const r of list(sl.logRecords)) {
        const eventName = String(r.eventName ?? '');
        const severityNumber = Number(r.severityNumber ?? 0);
        const timeUs = nanosToMicros(r.timeUnixNano) || nanosToMicros(r.observedTimeUnixNano);
        out.push({
          ...at(),
          kind: eventName ? 'event' : 'log',
          service,
          timeMs: timeUs / 1000,
          severity: String(r.severityText ?? '') || severityName(severityNumber),
          severityNumber,
          eventName,
          body: anyValueText(r.body as Json | undefined),
          traceId: String(r.traceId ?? ''),
        });
      }
    }
  }
}

const METRIC_TYPES = ['gauge', 'sum', 'histogram', 'exponentialHistogram', 'summary'];

function pointValue(type: string, p: Json): string {
  if (type === 'gauge' || type === 'sum') return String(p.asDouble ?? p.asInt ?? '');
  const sum = typeof p.sum === 'number' ? ` sum=${Number(p.sum.toPrecision(6))}` : '';
  return `count=${p.count ?? 0}${sum}`;
}

function addMetrics(value: Json, at: () => Where, out: MetricPointItem[]): void {
  for (const rm of list(value.resourceMetrics)) {
    const service = serviceOf(rm);
    for (const sm of list(rm.scopeMetrics)) {
      for (const m of list(sm.metrics)) {
        const type = METRIC_TYPES.find((t) => t in m) ?? 'unknown';
        for (const p of list((m[type] as Json | undefined)?.dataPoints)) {
          out.push({
            ...at(),
            service,
            timeMs: nanosToMicros(p.timeUnixNano) / 1000,
            metric: String(m.name ?? ''),
            type,
            unit: String(m.unit ?? ''),
            value: pointValue(type, p),
            attributes: attributesText(p.attributes),
          });
        }
      }
    }
  }
}

/** Adds what one record holds to `into`. */
export function addRecord(into: TailItems, partition: number, record: DecodedRecord): void {
  let n = 0;
  const at = (): Where => ({ partition, offset: record.offset, id: `${partition}/${record.offset}/${n++}` });
  if (record.decodeError || typeof record.value !== 'object' || record.value === null) {
    into.undecoded.push({ ...at(), error: record.decodeError ?? 'no value' });
    return;
  }
  const value = record.value as Json;
  if (record.signal === 'traces') addSpans(value, at, into.spans);
  else if (record.signal === 'metrics') addMetrics(value, at, into.metrics);
  else addLogs(value, at, into.logs);
}

export function emptyItems(): TailItems {
  return { spans: [], logs: [], metrics: [], undecoded: [] };
}
