// Runs on: any thread (shared code with no thread of its own).
import { I32, I64, LEN, VARINT } from './wire-reader.js';

/**
 * The OTLP messages as tables (field number, JSON name, type), from
 * opentelemetry-proto's common, resource, trace, metrics and logs protos and the collector
 * services' responses. The JSON converter,
 * the decoder and the validator walk these tables instead of generated classes.
 */
export type FieldType =
  | 'string'
  | 'bytes'
  /** bytes written as hex in OTLP JSON: trace and span ids */
  | 'id'
  | 'bool'
  | 'int32'
  | 'uint32'
  | 'sint32'
  | 'int64'
  | 'uint64'
  | 'fixed32'
  | 'fixed64'
  | 'sfixed64'
  | 'double'
  | 'enum'
  | 'message';

export interface FieldSpec {
  no: number;
  /** lowerCamelCase, as OTLP JSON spells it */
  name: string;
  type: FieldType;
  repeated: boolean;
  /** the nested message's table, for fields of type 'message' */
  spec?: MessageSpec;
  enumValues?: Readonly<Record<string, number>>;
  /** For 'id' fields: the length an id must have when set (16 for trace ids, 8 for span ids). */
  idBytes?: number;
}

export interface MessageSpec {
  name: string;
  fields: FieldSpec[];
  byNumber: Map<number, FieldSpec>;
  /** camelCase and snake_case names */
  byName: Map<string, FieldSpec>;
}

type FieldDef = readonly [no: number, name: string, type: FieldType, extra?: string | Readonly<Record<string, number>> | number, repeated?: 'repeated'];

const SPAN_KIND = enumOf('SPAN_KIND_', ['UNSPECIFIED', 'INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER']);
const STATUS_CODE = enumOf('STATUS_CODE_', ['UNSET', 'OK', 'ERROR']);
const TEMPORALITY = enumOf('AGGREGATION_TEMPORALITY_', ['UNSPECIFIED', 'DELTA', 'CUMULATIVE']);
const SEVERITY = enumOf('SEVERITY_NUMBER_', [
  'UNSPECIFIED',
  ...['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'].flatMap((s) => [s, `${s}2`, `${s}3`, `${s}4`]),
]);

const R = 'repeated' as const;
/** Byte lengths of ids (an empty id means none). */
const TRACE_ID = 16;
const SPAN_ID = 8;

const DEFINITIONS = {
  AnyValue: [
    [1, 'stringValue', 'string'],
    [2, 'boolValue', 'bool'],
    [3, 'intValue', 'int64'],
    [4, 'doubleValue', 'double'],
    [5, 'arrayValue', 'message', 'ArrayValue'],
    [6, 'kvlistValue', 'message', 'KeyValueList'],
    [7, 'bytesValue', 'bytes'],
    [8, 'stringValueStrindex', 'int32'],
  ],
  ArrayValue: [[1, 'values', 'message', 'AnyValue', R]],
  KeyValueList: [[1, 'values', 'message', 'KeyValue', R]],
  KeyValue: [
    [1, 'key', 'string'],
    [2, 'value', 'message', 'AnyValue'],
    [3, 'keyStrindex', 'int32'],
  ],
  InstrumentationScope: [
    [1, 'name', 'string'],
    [2, 'version', 'string'],
    [3, 'attributes', 'message', 'KeyValue', R],
    [4, 'droppedAttributesCount', 'uint32'],
  ],
  EntityRef: [
    [1, 'schemaUrl', 'string'],
    [2, 'type', 'string'],
    [3, 'idKeys', 'string', undefined, R],
    [4, 'descriptionKeys', 'string', undefined, R],
  ],
  Resource: [
    [1, 'attributes', 'message', 'KeyValue', R],
    [2, 'droppedAttributesCount', 'uint32'],
    [3, 'entityRefs', 'message', 'EntityRef', R],
  ],

  ExportTraceServiceRequest: [[1, 'resourceSpans', 'message', 'ResourceSpans', R]],
  ResourceSpans: [
    [1, 'resource', 'message', 'Resource'],
    [2, 'scopeSpans', 'message', 'ScopeSpans', R],
    [3, 'schemaUrl', 'string'],
  ],
  ScopeSpans: [
    [1, 'scope', 'message', 'InstrumentationScope'],
    [2, 'spans', 'message', 'Span', R],
    [3, 'schemaUrl', 'string'],
  ],
  Span: [
    [1, 'traceId', 'id', TRACE_ID],
    [2, 'spanId', 'id', SPAN_ID],
    [3, 'traceState', 'string'],
    [4, 'parentSpanId', 'id', SPAN_ID],
    [16, 'flags', 'fixed32'],
    [5, 'name', 'string'],
    [6, 'kind', 'enum', SPAN_KIND],
    [7, 'startTimeUnixNano', 'fixed64'],
    [8, 'endTimeUnixNano', 'fixed64'],
    [9, 'attributes', 'message', 'KeyValue', R],
    [10, 'droppedAttributesCount', 'uint32'],
    [11, 'events', 'message', 'SpanEvent', R],
    [12, 'droppedEventsCount', 'uint32'],
    [13, 'links', 'message', 'SpanLink', R],
    [14, 'droppedLinksCount', 'uint32'],
    [15, 'status', 'message', 'SpanStatus'],
  ],
  SpanEvent: [
    [1, 'timeUnixNano', 'fixed64'],
    [2, 'name', 'string'],
    [3, 'attributes', 'message', 'KeyValue', R],
    [4, 'droppedAttributesCount', 'uint32'],
  ],
  SpanLink: [
    [1, 'traceId', 'id', TRACE_ID],
    [2, 'spanId', 'id', SPAN_ID],
    [3, 'traceState', 'string'],
    [4, 'attributes', 'message', 'KeyValue', R],
    [5, 'droppedAttributesCount', 'uint32'],
    [6, 'flags', 'fixed32'],
  ],
  SpanStatus: [
    [2, 'message', 'string'],
    [3, 'code', 'enum', STATUS_CODE],
  ],

  ExportMetricsServiceRequest: [[1, 'resourceMetrics', 'message', 'ResourceMetrics', R]],
  ResourceMetrics: [
    [1, 'resource', 'message', 'Resource'],
    [2, 'scopeMetrics', 'message', 'ScopeMetrics', R],
    [3, 'schemaUrl', 'string'],
  ],
  ScopeMetrics: [
    [1, 'scope', 'message', 'InstrumentationScope'],
    [2, 'metrics', 'message', 'Metric', R],
    [3, 'schemaUrl', 'string'],
  ],
  Metric: [
    [1, 'name', 'string'],
    [2, 'description', 'string'],
    [3, 'unit', 'string'],
    [5, 'gauge', 'message', 'Gauge'],
    [7, 'sum', 'message', 'Sum'],
    [9, 'histogram', 'message', 'Histogram'],
    [10, 'exponentialHistogram', 'message', 'ExponentialHistogram'],
    [11, 'summary', 'message', 'Summary'],
    [12, 'metadata', 'message', 'KeyValue', R],
  ],
  Gauge: [[1, 'dataPoints', 'message', 'NumberDataPoint', R]],
  Sum: [
    [1, 'dataPoints', 'message', 'NumberDataPoint', R],
    [2, 'aggregationTemporality', 'enum', TEMPORALITY],
    [3, 'isMonotonic', 'bool'],
  ],
  Histogram: [
    [1, 'dataPoints', 'message', 'HistogramDataPoint', R],
    [2, 'aggregationTemporality', 'enum', TEMPORALITY],
  ],
  ExponentialHistogram: [
    [1, 'dataPoints', 'message', 'ExponentialHistogramDataPoint', R],
    [2, 'aggregationTemporality', 'enum', TEMPORALITY],
  ],
  Summary: [[1, 'dataPoints', 'message', 'SummaryDataPoint', R]],
  NumberDataPoint: [
    [7, 'attributes', 'message', 'KeyValue', R],
    [2, 'startTimeUnixNano', 'fixed64'],
    [3, 'timeUnixNano', 'fixed64'],
    [4, 'asDouble', 'double'],
    [6, 'asInt', 'sfixed64'],
    [5, 'exemplars', 'message', 'Exemplar', R],
    [8, 'flags', 'uint32'],
  ],
  HistogramDataPoint: [
    [9, 'attributes', 'message', 'KeyValue', R],
    [2, 'startTimeUnixNano', 'fixed64'],
    [3, 'timeUnixNano', 'fixed64'],
    [4, 'count', 'fixed64'],
    [5, 'sum', 'double'],
    [6, 'bucketCounts', 'fixed64', undefined, R],
    [7, 'explicitBounds', 'double', undefined, R],
    [8, 'exemplars', 'message', 'Exemplar', R],
    [10, 'flags', 'uint32'],
    [11, 'min', 'double'],
    [12, 'max', 'double'],
  ],
  ExponentialHistogramDataPoint: [
    [1, 'attributes', 'message', 'KeyValue', R],
    [2, 'startTimeUnixNano', 'fixed64'],
    [3, 'timeUnixNano', 'fixed64'],
    [4, 'count', 'fixed64'],
    [5, 'sum', 'double'],
    [6, 'scale', 'sint32'],
    [7, 'zeroCount', 'fixed64'],
    [8, 'positive', 'message', 'Buckets'],
    [9, 'negative', 'message', 'Buckets'],
    [10, 'flags', 'uint32'],
    [11, 'exemplars', 'message', 'Exemplar', R],
    [12, 'min', 'double'],
    [13, 'max', 'double'],
    [14, 'zeroThreshold', 'double'],
  ],
  Buckets: [
    [1, 'offset', 'sint32'],
    [2, 'bucketCounts', 'uint64', undefined, R],
  ],
  SummaryDataPoint: [
    [7, 'attributes', 'message', 'KeyValue', R],
    [2, 'startTimeUnixNano', 'fixed64'],
    [3, 'timeUnixNano', 'fixed64'],
    [4, 'count', 'fixed64'],
    [5, 'sum', 'double'],
    [6, 'quantileValues', 'message', 'ValueAtQuantile', R],
    [8, 'flags', 'uint32'],
  ],
  ValueAtQuantile: [
    [1, 'quantile', 'double'],
    [2, 'value', 'double'],
  ],
  Exemplar: [
    [7, 'filteredAttributes', 'message', 'KeyValue', R],
    [2, 'timeUnixNano', 'fixed64'],
    [3, 'asDouble', 'double'],
    [6, 'asInt', 'sfixed64'],
    [4, 'spanId', 'id', SPAN_ID],
    [5, 'traceId', 'id', TRACE_ID],
  ],

  ExportLogsServiceRequest: [[1, 'resourceLogs', 'message', 'ResourceLogs', R]],
  ResourceLogs: [
    [1, 'resource', 'message', 'Resource'],
    [2, 'scopeLogs', 'message', 'ScopeLogs', R],
    [3, 'schemaUrl', 'string'],
  ],
  ScopeLogs: [
    [1, 'scope', 'message', 'InstrumentationScope'],
    [2, 'logRecords', 'message', 'LogRecord', R],
    [3, 'schemaUrl', 'string'],
  ],
  LogRecord: [
    [1, 'timeUnixNano', 'fixed64'],
    [11, 'observedTimeUnixNano', 'fixed64'],
    [2, 'severityNumber', 'enum', SEVERITY],
    [3, 'severityText', 'string'],
    [5, 'body', 'message', 'AnyValue'],
    [6, 'attributes', 'message', 'KeyValue', R],
    [7, 'droppedAttributesCount', 'uint32'],
    [8, 'flags', 'fixed32'],
    [9, 'traceId', 'id', TRACE_ID],
    [10, 'spanId', 'id', SPAN_ID],
    [12, 'eventName', 'string'],
  ],

  ExportTraceServiceResponse: [[1, 'partialSuccess', 'message', 'ExportTracePartialSuccess']],
  ExportTracePartialSuccess: [
    [1, 'rejectedSpans', 'int64'],
    [2, 'errorMessage', 'string'],
  ],
  ExportMetricsServiceResponse: [[1, 'partialSuccess', 'message', 'ExportMetricsPartialSuccess']],
  ExportMetricsPartialSuccess: [
    [1, 'rejectedDataPoints', 'int64'],
    [2, 'errorMessage', 'string'],
  ],
  ExportLogsServiceResponse: [[1, 'partialSuccess', 'message', 'ExportLogsPartialSuccess']],
  ExportLogsPartialSuccess: [
    [1, 'rejectedLogRecords', 'int64'],
    [2, 'errorMessage', 'string'],
  ],
} as const satisfies Record<string, readonly FieldDef[]>;

type Definitions = typeof DEFINITIONS;

/** Field numbers by message and field name, as the protos give them: `FIELD.Span.traceId` is 1. */
export type FieldNumbers = { readonly [M in keyof Definitions]: { readonly [D in Definitions[M][number] as D[1]]: D[0] } };

/**
 * What code that reads or writes the wire itself (the splitter, the classifiers, the sinks'
 * converters) compares tags with, taken from the tables above: one definition of every number.
 */
export const FIELD: FieldNumbers = Object.freeze(
  Object.fromEntries(Object.entries(DEFINITIONS).map(([message, defs]) => [message, Object.freeze(Object.fromEntries(defs.map(([no, name]) => [name, no])))])),
) as FieldNumbers;

function enumOf(prefix: string, names: string[]): Record<string, number> {
  return Object.fromEntries(names.map((n, i) => [prefix + n, i]));
}

const snakeCase = (name: string) => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

const MESSAGES = new Map<string, MessageSpec>();
for (const [name, defs] of Object.entries(DEFINITIONS) as [string, readonly FieldDef[]][]) {
  const fields = defs.map(([no, fieldName, type, extra, repeated]): FieldSpec => ({
    no,
    name: fieldName,
    type,
    repeated: repeated === R,
    enumValues: typeof extra === 'object' ? extra : undefined,
    idBytes: typeof extra === 'number' ? extra : undefined,
  }));
  const byName = new Map<string, FieldSpec>();
  for (const f of fields) byName.set(f.name, f).set(snakeCase(f.name), f);
  MESSAGES.set(name, { name, fields, byNumber: new Map(fields.map((f) => [f.no, f])), byName });
}
for (const [name, defs] of Object.entries(DEFINITIONS) as [string, readonly FieldDef[]][]) {
  for (const [no, , type, extra] of defs) if (type === 'message') messageSpec(name).byNumber.get(no)!.spec = messageSpec(extra as string);
}

export function messageSpec(name: string): MessageSpec {
  const spec = MESSAGES.get(name);
  if (!spec) throw new Error(`no OTLP message named ${name}`);
  return spec;
}

/** Repeated numeric fields are written packed (proto3's default) and read in either form. */
export function isPackable(type: FieldType): boolean {
  return type !== 'string' && type !== 'bytes' && type !== 'id' && type !== 'message';
}

/** The wire type a field's values are written with (unpacked). */
export function wireTypeOf(type: FieldType): number {
  switch (type) {
    case 'fixed32':
      return I32;
    case 'fixed64':
    case 'sfixed64':
    case 'double':
      return I64;
    case 'string':
    case 'bytes':
    case 'id':
    case 'message':
      return LEN;
    default:
      return VARINT;
  }
}
