/** Runs on: a sink worker. */
import type { ConsumedRecord } from '../log/types.js';
import { DATA_POINTS_FIELD, METRIC_DATA_FIELDS, SIGNAL_FIELD } from '../otlp/field-numbers.js';
import { LEN, WireReader } from '../otlp/wire-reader.js';
import type { Signal } from './sink.js';

/**
 * The LEN fields numbered `path[depth]` in the message at `buf[start, end)`, descending through
 * `path`: at its last level each field counts one, or, for metrics, its data points. One reader
 * walks every level (its place is saved around each descent): counting runs per record, and
 * single-span records are many.
 */
function countPath(r: WireReader, start: number, end: number, path: readonly number[], depth: number, points: boolean): number {
  let n = 0;
  r.pos = start;
  r.end = end;
  const field = path[depth];
  const last = depth === path.length - 1;
  while (r.next()) {
    if (r.field !== field || r.wireType !== LEN) continue;
    if (last && !points) {
      n++;
      continue;
    }
    const after = r.pos;
    n += last ? metricPoints(r, r.valueStart, r.valueEnd) : countPath(r, r.valueStart, r.valueEnd, path, depth + 1, points);
    r.pos = after;
    r.end = end;
  }
  return n;
}

function metricPoints(r: WireReader, start: number, end: number): number {
  let n = 0;
  r.pos = start;
  r.end = end;
  while (r.next()) {
    if (!METRIC_DATA_FIELDS.has(r.field) || r.wireType !== LEN) continue;
    const after = r.pos;
    n += countPath(r, r.valueStart, r.valueEnd, POINTS, 0, false);
    r.pos = after;
    r.end = end;
  }
  return n;
}

/** Resource entries, their scope entries, and their items. */
const ITEMS = [SIGNAL_FIELD.resourceEntries, SIGNAL_FIELD.scopeEntries, SIGNAL_FIELD.items];
/** The data points of a gauge, sum or histogram body. */
const POINTS = [DATA_POINTS_FIELD];

/**
 * Spans, metric data points or log records in a protobuf Export*ServiceRequest (`buf[start, end)`), counted by
 * walking the wire format (resource entries, scope entries, items) without decoding the items themselves.
 */
export function countItems(signal: Signal, buf: Uint8Array, start = 0, end = buf.length): number {
  return countPath(new WireReader(buf, start, end), start, end, ITEMS, 0, signal === 'metrics');
}

/**
 * The items of one scope entry (Scope{Spans,Metrics,Logs}) at `buf[start, end)`, walked with
 * `r`, which is left pointing anywhere.
 */
export function countScopeItems(signal: Signal, r: WireReader, start: number, end: number): number {
  return countPath(r, start, end, ITEMS, ITEMS.length - 1, signal === 'metrics');
}

/**
 * The items of every record's value, read where the bytes lie, with one reader for them all; a
 * record that does not parse counts none.
 */
export function countRecordItems(signal: Signal, records: readonly ConsumedRecord[]): number {
  const points = signal === 'metrics';
  const reader = new WireReader(EMPTY, 0, 0);
  let items = 0;
  for (const r of records) {
    if (r.valueSize <= 0) continue;
    const start = r.valueStart;
    reader.reset(r.valueBytes, start, start + r.valueSize);
    try {
      items += countPath(reader, start, start + r.valueSize, ITEMS, 0, points);
    } catch {
      // counted as zero
    }
  }
  return items;
}

const EMPTY = new Uint8Array(0);
