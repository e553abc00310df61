// Runs on: ingest worker.
import { resourceKey } from './partitioner.js';
import { DATA_POINTS_FIELD, METRIC_DATA_FIELDS } from './field-numbers.js';
import { FIELD, messageSpec } from './schema.js';
import type { Signal } from './signals.js';
import type { Placement, ResourceContext, SplitSignal } from './split.js';
import { LEN, WireReader } from './wire-reader.js';

/** Which record each span, metric and log record belongs to (docs/records.md). */

const EVENT_NAME_KEY = Buffer.from('event.name');

function memoResourceKey(context: ResourceContext): string {
  context.memo ??= resourceKey(context.resource);
  return context.memo;
}

function isValidId(buf: Buffer, start: number, end: number, length: number): boolean {
  if (end - start !== length) return false;
  for (let i = start; i < end; i++) if (buf[i] !== 0) return true;
  return false;
}

/** A loop, not `Buffer#compare`: for 16 bytes the call into C++ costs more than the comparison. */
function sameBytes(buf: Buffer, a: number, b: number, length: number): boolean {
  for (let i = 0; i < length; i++) if (buf[a + i] !== buf[b + i]) return false;
  return true;
}

/** Reused for every span (it keeps at most the last request's bytes alive). */
const spanReader = new WireReader(new Uint8Array(0), 0, 0);

/** One record per trace: key = trace id in lowercase hex. Spans need valid trace and span ids. */
const traces: SplitSignal = {
  resourceSpec: messageSpec('ResourceSpans'),
  scopeSpec: messageSpec('ScopeSpans'),
  itemSpec: messageSpec('Span'),
  itemName: 'span',
  countName: 'span',
  classify(buf, start, end, context): Placement {
    let traceStart = -1;
    let traceEnd = -1;
    let spanId: boolean | undefined;
    const r = spanReader.reset(buf, start, end);
    // Serializers write the ids first, so the walk usually stops after two fields.
    while ((traceStart < 0 || spanId === undefined) && r.next()) {
      if (r.wireType !== LEN) continue;
      if (r.field === FIELD.Span.traceId) {
        traceStart = r.valueStart;
        traceEnd = r.valueEnd;
      } else if (r.field === FIELD.Span.spanId) spanId = isValidId(buf, r.valueStart, r.valueEnd, 8);
    }
    const spanIdValid = spanId === true;
    if (traceStart < 0 || !isValidId(buf, traceStart, traceEnd, 16)) return 'trace_id must be 16 bytes, not all zero';
    if (!spanIdValid) return 'span_id must be 8 bytes, not all zero';
    // The spans of a trace mostly come one after another: the previous span's placement is reused.
    if (context.previous !== undefined && sameBytes(buf, context.previousAt, traceStart, 16)) return context.previous;
    const placement: Placement = { topic: 'traces', key: buf.toString('hex', traceStart, traceEnd), weight: 1 };
    context.previous = placement;
    context.previousAt = traceStart;
    return placement;
  },
};

/** Data points of a metric; of a malformed one, those found before the bytes go wrong. */
function countDataPoints(buf: Buffer, start: number, end: number): number {
  let points = 0;
  const metric = new WireReader(buf, start, end);
  while (metric.tryNext()) {
    if (!METRIC_DATA_FIELDS.has(metric.field) || metric.wireType !== LEN) continue;
    const data = new WireReader(buf, metric.valueStart, metric.valueEnd);
    while (data.tryNext()) if (data.field === DATA_POINTS_FIELD) points++;
  }
  return points;
}

/** One record per resource: key = hash of the resource's attributes; items counted as data points. */
const metrics: SplitSignal = {
  resourceSpec: messageSpec('ResourceMetrics'),
  scopeSpec: messageSpec('ScopeMetrics'),
  itemSpec: messageSpec('Metric'),
  itemName: 'metric',
  countName: 'data point',
  classify: (buf, start, end, context) => ({ topic: 'metrics', key: memoResourceKey(context), weight: countDataPoints(buf, start, end) }),
  rejectedWeight: (buf, start, end) => Math.max(1, countDataPoints(buf, start, end)),
};

/** An event: `event_name` set, or, from older senders, an `event.name` attribute. */
function isEvent(buf: Buffer, start: number, end: number): boolean {
  const r = new WireReader(buf, start, end);
  while (r.next()) {
    if (r.wireType !== LEN) continue;
    if (r.field === FIELD.LogRecord.eventName && r.valueEnd > r.valueStart) return true;
    if (r.field === FIELD.LogRecord.attributes && attributeKeyIs(buf, r.valueStart, r.valueEnd, EVENT_NAME_KEY)) return true;
  }
  return false;
}

function attributeKeyIs(buf: Buffer, start: number, end: number, key: Buffer): boolean {
  const kv = new WireReader(buf, start, end);
  while (kv.next()) {
    if (kv.field === FIELD.KeyValue.key && kv.wireType === LEN) return buf.compare(key, 0, key.length, kv.valueStart, kv.valueEnd) === 0;
  }
  return false;
}

/** One record per resource and kind: events apart from the other log records. */
const logs: SplitSignal = {
  resourceSpec: messageSpec('ResourceLogs'),
  scopeSpec: messageSpec('ScopeLogs'),
  itemSpec: messageSpec('LogRecord'),
  itemName: 'log record',
  countName: 'log record',
  classify: (buf, start, end, context) => ({ topic: isEvent(buf, start, end) ? 'events' : 'logs', key: memoResourceKey(context), weight: 1 }),
};

export const SPLIT_SIGNALS: Readonly<Record<Signal, SplitSignal>> = { traces, metrics, logs };
