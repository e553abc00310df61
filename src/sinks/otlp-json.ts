/** Runs on: a sink worker. */
/**
 * The OTLP/JSON shapes the sinks read (opentelemetry-proto's JSON mapping: lowerCamelCase
 * fields, 64-bit integers as strings or numbers, enums as integers). Only the fields the sinks
 * use are typed; the rest pass through untouched.
 */

export interface AnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: string | number;
  doubleValue?: number;
  bytesValue?: string;
  arrayValue?: { values?: AnyValue[] };
  kvlistValue?: { values?: KeyValue[] };
}

export interface KeyValue {
  key: string;
  value?: AnyValue;
}

export interface Resource {
  attributes?: KeyValue[];
}

export interface Scope {
  name?: string;
  version?: string;
}

export interface NumberDataPoint {
  attributes?: KeyValue[];
  timeUnixNano?: string | number;
  asDouble?: number | string;
  asInt?: string | number;
  flags?: number;
}

export interface HistogramDataPoint {
  attributes?: KeyValue[];
  timeUnixNano?: string | number;
  count?: string | number;
  sum?: number;
  bucketCounts?: (string | number)[];
  explicitBounds?: number[];
  flags?: number;
}

export interface SummaryDataPoint {
  attributes?: KeyValue[];
  timeUnixNano?: string | number;
  count?: string | number;
  sum?: number;
  quantileValues?: { quantile?: number; value?: number }[];
  flags?: number;
}

/** AggregationTemporality: 1 delta, 2 cumulative. */
export const DELTA = 1;

export interface Metric {
  name: string;
  description?: string;
  unit?: string;
  gauge?: { dataPoints?: NumberDataPoint[] };
  sum?: { dataPoints?: NumberDataPoint[]; aggregationTemporality?: number; isMonotonic?: boolean };
  histogram?: { dataPoints?: HistogramDataPoint[]; aggregationTemporality?: number };
  exponentialHistogram?: { dataPoints?: unknown[]; aggregationTemporality?: number };
  summary?: { dataPoints?: SummaryDataPoint[] };
}

export interface ResourceMetrics {
  resource?: Resource;
  scopeMetrics?: { scope?: Scope; metrics?: Metric[] }[];
}

export interface ExportMetricsServiceRequest {
  resourceMetrics?: ResourceMetrics[];
}

/** An attribute value as one string: scalars as they read, arrays and maps as JSON. */
export function anyValueText(value: AnyValue | undefined): string {
  if (!value) return '';
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.boolValue !== undefined) return String(value.boolValue);
  if (value.intValue !== undefined) return String(value.intValue);
  if (value.doubleValue !== undefined) return String(value.doubleValue);
  if (value.bytesValue !== undefined) return value.bytesValue;
  if (value.arrayValue) return JSON.stringify((value.arrayValue.values ?? []).map(anyValueText));
  if (value.kvlistValue) return JSON.stringify(Object.fromEntries((value.kvlistValue.values ?? []).map((kv) => [kv.key, anyValueText(kv.value)])));
  return '';
}

export function attribute(attributes: KeyValue[] | undefined, key: string): string | undefined {
  const kv = attributes?.find((a) => a.key === key);
  return kv ? anyValueText(kv.value) : undefined;
}

/** Nanoseconds since the epoch (string or number) to milliseconds. */
export function nanosToMillis(nanos: string | number | undefined): number {
  if (nanos === undefined) return 0;
  return typeof nanos === 'number' ? Math.floor(nanos / 1e6) : Number(BigInt(nanos) / 1_000_000n);
}
