/** Runs on: a sink worker. */
import { LEN, WireReader } from '../otlp/wire-reader.js';
import type { Signal } from './sink.js';

/** Metric fields that hold data points (gauge 5, sum 7, histogram 9, exponential histogram 10, summary 11); points are field 1 of each. */
const POINT_FIELDS = new Set([5, 7, 9, 10, 11]);

function countField(buf: Uint8Array, start: number, end: number, field: number, inner?: (s: number, e: number) => number): number {
  let n = 0;
  const r = new WireReader(buf, start, end);
  while (r.next()) {
    if (r.field !== field || r.wireType !== LEN) continue;
    n += inner ? inner(r.valueStart, r.valueEnd) : 1;
  }
  return n;
}

function metricPoints(buf: Uint8Array, start: number, end: number): number {
  let n = 0;
  const r = new WireReader(buf, start, end);
  while (r.next()) if (POINT_FIELDS.has(r.field) && r.wireType === LEN) n += countField(buf, r.valueStart, r.valueEnd, 1);
  return n;
}

/**
 * Spans, metric data points or log records in a protobuf Export*ServiceRequest, counted by
 * walking the wire format (resource entries field 1, scope entries field 2, items field 2)
 * without decoding the items themselves.
 */
export function countItems(signal: Signal, buf: Uint8Array): number {
  const items = signal === 'metrics' ? (s: number, e: number) => metricPoints(buf, s, e) : undefined;
  return countField(buf, 0, buf.length, 1, (rs, re) => countField(buf, rs, re, 2, (ss, se) => countField(buf, ss, se, 2, items)));
}
