import { JsonLogsSerializer, JsonMetricsSerializer, JsonTraceSerializer, ProtobufLogsSerializer, ProtobufMetricsSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { describe, expect, it } from 'vitest';
import { jsonToProto, parseOtlpJson, quoteLongIntegers } from '../../src/otlp/json-to-proto.js';
import { protoToJson } from '../../src/otlp/proto-to-json.js';
import { makeLogs, makeMetrics, makeSpans } from './fixtures.js';

const fromJsonBytes = (bytes: Uint8Array, message: string) => jsonToProto(parseOtlpJson(Buffer.from(bytes).toString()), message);

/** The JSON serializers write empty strings that protobuf leaves out: the same message in proto3. */
function withoutEmptyStrings(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutEmptyStrings);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== '').map(([k, v]) => [k, withoutEmptyStrings(v)]));
}

describe('OTLP JSON to protobuf', () => {
  it('converts what the JSON serializers write into what the protobuf serializers write', async () => {
    const spans = makeSpans({ traces: 2, spansPerTrace: 3 });
    const metrics = await makeMetrics({ series: 2 });
    const logs = makeLogs({ logs: 2, events: 2 });
    const cases = [
      ['ExportTraceServiceRequest', JsonTraceSerializer.serializeRequest(spans)!, ProtobufTraceSerializer.serializeRequest(spans)!],
      ['ExportMetricsServiceRequest', JsonMetricsSerializer.serializeRequest(metrics)!, ProtobufMetricsSerializer.serializeRequest(metrics)!],
      ['ExportLogsServiceRequest', JsonLogsSerializer.serializeRequest(logs)!, ProtobufLogsSerializer.serializeRequest(logs)!],
    ] as const;
    for (const [message, json, proto] of cases) {
      expect(withoutEmptyStrings(protoToJson(fromJsonBytes(json, message), message))).toEqual(protoToJson(proto, message));
    }
  });

  it('accepts snake_case names, enum names, 64-bit integers as numbers or strings and ignores unknown fields', () => {
    const text = `{"resource_spans":[{"scope_spans":[{"spans":[{
      "trace_id":"5B8EFFF798038103D269B633813FC60C","spanId":"eee19b7ec3c1b174","name":"get",
      "kind":"SPAN_KIND_SERVER","startTimeUnixNano":1700000000123456789,"end_time_unix_nano":"1700000000223456789",
      "status":{"code":2},"attributes":[{"key":"n","value":{"intValue":"-9007199254740993"}}],"mystery":{"x":1}}]}]}]}`;
    const json = protoToJson(jsonToProto(parseOtlpJson(text), 'ExportTraceServiceRequest'), 'ExportTraceServiceRequest');
    const span = (json as { resourceSpans: { scopeSpans: { spans: unknown[] }[] }[] }).resourceSpans[0].scopeSpans[0].spans[0];
    expect(span).toEqual({
      traceId: '5b8efff798038103d269b633813fc60c',
      spanId: 'eee19b7ec3c1b174',
      name: 'get',
      kind: 2,
      startTimeUnixNano: '1700000000123456789',
      endTimeUnixNano: '1700000000223456789',
      status: { code: 2 },
      attributes: [{ key: 'n', value: { intValue: '-9007199254740993' } }],
    });
  });

  it('keeps digits inside strings as they are', () => {
    expect(parseOtlpJson('{"a":"x 12345678901234567890 y","b":[12345678901234567890, 1.5e300]}')).toEqual({
      a: 'x 12345678901234567890 y',
      b: ['12345678901234567890', 1.5e300],
    });
  });

  it('quotes long integer literals outside strings only: escaped quotes, fractions, exponents and signs are told apart', () => {
    // Strings holding escaped quotes and backslashes next to long digit runs, then numbers of every shape.
    const strings = JSON.stringify({ a: 'x " 12345678901234567890 \\', c: '\\' });
    const text = `${strings.slice(0, -1)},"b":[12345678901234567890,-12345678901234567890,1.12345678901234567,1e12345678901234567,0.5e-12345678901234567,123456789012345]}`;
    expect(quoteLongIntegers(text)).toBe(text.replace('[12345678901234567890,-12345678901234567890,', '["12345678901234567890","-12345678901234567890",'));
    expect(parseOtlpJson(text)).toEqual({
      a: 'x " 12345678901234567890 \\',
      c: '\\',
      b: ['12345678901234567890', '-12345678901234567890', 1.1234567890123457, Number.POSITIVE_INFINITY, 0, 123456789012345],
    });
    // No long integer, or an unterminated string: the text as it came (JSON.parse judges it).
    expect(quoteLongIntegers('{"a":1}')).toBe('{"a":1}');
    expect(quoteLongIntegers('{"a":"12345678901234567890')).toBe('{"a":"12345678901234567890');
  });

  it('names the JSON path of a value of the wrong type', () => {
    expect(() => jsonToProto(parseOtlpJson('{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"severityText":5}]}]}]}'), 'ExportLogsServiceRequest')).toThrow(
      'resourceLogs[0].scopeLogs[0].logRecords[0].severityText: expected a string',
    );
    expect(() => parseOtlpJson('{"resourceLogs":')).toThrow(/^invalid JSON/);
    expect(() => jsonToProto([], 'ExportLogsServiceRequest')).toThrow('body: expected a JSON object (ExportLogsServiceRequest)');
  });
});
