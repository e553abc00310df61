import { ProtobufLogsSerializer, ProtobufMetricsSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { describe, expect, it } from 'vitest';
import { protoToJson } from '../../src/otlp/proto-to-json.js';
import { protoToJsonBytes } from '../../src/otlp/proto-to-json-bytes.js';
import { REQUEST_MESSAGE } from '../../src/otlp/signals.js';
import { WireReader } from '../../src/otlp/wire-reader.js';
import { WireWriter } from '../../src/otlp/wire-writer.js';
import { makeLogs, makeMetrics, makeSpans, seededRandom } from './fixtures.js';
import { randomCase } from './random-requests.js';
import { Int, type Model, protobuf } from './request-model.js';

const protoToJsonText = (buf: Uint8Array, message: string) => protoToJsonBytes(buf, message).toString();

/** What the sinks wrote before: the decoded object, stringified. */
const viaObjects = (buf: Uint8Array, message: string) => JSON.stringify(protoToJson(buf, message));

/** The same text as the decoder, or an error where the decoder fails. */
function expectAsDecoder(buf: Uint8Array, message: string, label?: string) {
  let expected: string | undefined;
  try {
    expected = viaObjects(buf, message);
  } catch {
    expected = undefined;
  }
  if (expected === undefined) expect(() => protoToJsonText(buf, message), label).toThrow();
  else expect(protoToJsonText(buf, message), label).toBe(expected);
}

describe('OTLP/JSON bytes straight from protobuf', () => {
  const cases = async (): Promise<[string, Uint8Array, string][]> => [
    ['traces', ProtobufTraceSerializer.serializeRequest(makeSpans({ traces: 3, spansPerTrace: 4 }))!, 'ExportTraceServiceRequest'],
    ['metrics', ProtobufMetricsSerializer.serializeRequest(await makeMetrics({ series: 5 }))!, 'ExportMetricsServiceRequest'],
    ['logs and events', ProtobufLogsSerializer.serializeRequest(makeLogs({ logs: 3, events: 2, legacyEvents: 1 }))!, 'ExportLogsServiceRequest'],
  ];

  it('writes the text JSON.stringify writes of the decoded request, for every signal', async () => {
    for (const [name, buf, message] of await cases()) expect(protoToJsonText(buf, message), name).toBe(viaObjects(buf, message));
  });

  it('gathers a repeated field split by other fields, and keeps the last of a singular field seen twice', async () => {
    // Two services: the two resources differ, so the text shows which one was kept.
    const one = ProtobufTraceSerializer.serializeRequest(makeSpans({ service: 'cart', traces: 1, spansPerTrace: 1 }))!;
    const two = ProtobufTraceSerializer.serializeRequest(makeSpans({ service: 'checkout', traces: 1, spansPerTrace: 1 }))!;
    // The ResourceSpans of each request, concatenated: every field of the message appears twice.
    const resourceSpans = (b: Uint8Array) => {
      const r = new WireReader(b, 0, b.length);
      r.next();
      return r.bytes();
    };
    const merged = Buffer.concat([resourceSpans(one), resourceSpans(two)]);
    expect(protoToJsonText(merged, 'ResourceSpans')).toBe(viaObjects(merged, 'ResourceSpans'));
    expect(protoToJsonText(merged, 'ResourceSpans')).toContain('"stringValue":"checkout"');
    expect(protoToJsonText(merged, 'ResourceSpans')).not.toContain('"stringValue":"cart"');
  });

  it('writes a packed field sent in several pieces as one array', () => {
    // bucket_counts (6, fixed64) and explicit_bounds (7, double) each in two packed pieces, as a merge of two points lays them.
    const w = new WireWriter(128);
    w.begin(6).fixed64(1n).fixed64(2n).end().begin(7).double(10).end();
    w.begin(6).fixed64(3n).end().begin(7).double(20).end();
    const point = w.finish();
    expect(JSON.parse(protoToJsonText(point, 'HistogramDataPoint'))).toEqual({ bucketCounts: ['1', '2', '3'], explicitBounds: [10, 20] });
    expect(protoToJsonText(point, 'HistogramDataPoint')).toBe(viaObjects(point, 'HistogramDataPoint'));
  });

  it('fails where the decoder fails, and agrees where it does not, on damaged input', async () => {
    const random = seededRandom(17);
    for (const [, buf, message] of await cases()) {
      for (let i = 0; i < 200; i++) {
        const damaged = Buffer.from(buf);
        damaged[Math.floor(random() * damaged.length)] = Math.floor(random() * 256);
        expectAsDecoder(damaged, message);
      }
    }
  });

  it('writes every value kind at its edges as the decoder does: unicode, control characters, invalid UTF-8, 64-bit integers, doubles, packed fields', () => {
    const controls = Array.from({ length: 0x20 }, (_, c) => String.fromCharCode(c)).join('');
    const strings = ['', 'plain ascii', 'quote " and backslash \\ and slash /', controls, 'tab\tnewline\n\u007f', 'é ü ß ✓ 中文 😀', 'line\u2028separator\u2029', `"${'x'.repeat(100)}\n${'ü'.repeat(40)}"`];
    const ints = ['0', '1', '-1', '4294967295', '4294967296', '9007199254740991', '9007199254740993', '9223372036854775807', '-9223372036854775808', '18446744073709551615', '1700000000123456789', '-1700000000123456789'];
    const doubles = [0, -0, 0.1, -2.5, 1e21, 1e-7, 5e-324, Number.MAX_VALUE, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 4294967296, -4294967297];
    const anyValues: Model[] = [
      ...strings.map((stringValue) => ({ stringValue })),
      ...ints.map((i) => ({ intValue: new Int(i) })),
      ...doubles.map((doubleValue) => ({ doubleValue })),
      { boolValue: true },
      { boolValue: false },
      { bytesValue: Buffer.from([0, 1, 0xfe, 0xff, 0x22, 0x5c]).toString('base64') },
      { bytesValue: '' },
      { arrayValue: { values: [{ stringValue: 'a' }, { intValue: new Int('-5') }, { arrayValue: { values: [] } }] } },
      { kvlistValue: { values: [{ key: 'k"\\\n', value: { kvlistValue: { values: [{ key: 'deep', value: { doubleValue: 1.5 } }] } } }] } },
      {},
    ];
    const logs: Model = {
      resourceLogs: [
        {
          resource: { attributes: anyValues.map((value, i) => ({ key: `k${i} ${strings[i % strings.length]}`, value })), droppedAttributesCount: new Int('-1') },
          scopeLogs: [
            {
              scope: { name: 'edge', version: '1' },
              logRecords: ints.map((i, n) => ({
                timeUnixNano: new Int(i),
                observedTimeUnixNano: new Int(ints[(n + 1) % ints.length]),
                severityNumber: new Int(n % 2 === 0 ? '-1' : '2147483648'),
                severityText: strings[n % strings.length],
                body: anyValues[n],
                flags: new Int(i),
                traceId: '00112233445566778899aabbccddeeff',
                spanId: 'ffeeddccbbaa9988',
                eventName: 'INVALID_UTF8_HERE',
              })),
            },
          ],
        },
      ],
    };
    const logBytes = protobuf(logs, 'ExportLogsServiceRequest');
    // Invalid UTF-8 (a lone continuation byte, a cut sequence, an encoded surrogate, an overlong
    // slash), each in place of a placeholder of the same length so that no length changes.
    const invalid = [Buffer.from([0x80, 0x41, 0x22, 0x0a]), Buffer.from([0x41, 0xe2, 0x82, 0x5c]), Buffer.from([0xed, 0xa0, 0x80, 0x01]), Buffer.from([0xc0, 0xaf, 0x7f, 0x0a])];
    for (let at = logBytes.indexOf('INVALID_UTF8_HERE'), n = 0; at >= 0; at = logBytes.indexOf('INVALID_UTF8_HERE', at), n++) {
      Buffer.concat([invalid[n % invalid.length], Buffer.from('..valid tail.')]).copy(logBytes, at);
    }
    expect(protoToJsonText(logBytes, 'ExportLogsServiceRequest')).toBe(viaObjects(logBytes, 'ExportLogsServiceRequest'));

    const point = (n: number): Model => ({
      startTimeUnixNano: new Int(ints[n % ints.length]),
      count: new Int(ints[(n + 3) % ints.length]),
      bucketCounts: ints.map((i) => new Int(i)),
      explicitBounds: doubles,
      scale: new Int(n % 2 === 0 ? '-3' : '2147483647'),
      positive: { offset: new Int('-2147483648'), bucketCounts: ints.map((i) => new Int(i)) },
      negative: { offset: new Int('7'), bucketCounts: [] },
      flags: new Int('4294967295'),
    });
    const metrics: Model = {
      resourceMetrics: [
        {
          scopeMetrics: [
            {
              metrics: [
                { name: 'histogram', histogram: { dataPoints: [0, 1].map(point), aggregationTemporality: 2 } },
                { name: 'exponential', exponentialHistogram: { dataPoints: [2, 3].map(point), aggregationTemporality: new Int('-1') } },
                { name: 'gauge', gauge: { dataPoints: doubles.map((asDouble, n) => ({ asDouble, timeUnixNano: new Int(ints[n % ints.length]) })) } },
                { name: 'sum', sum: { dataPoints: ints.map((asInt) => ({ asInt: new Int(asInt) })), isMonotonic: true } },
              ],
            },
          ],
        },
      ],
    };
    const metricBytes = protobuf(metrics, 'ExportMetricsServiceRequest');
    expect(protoToJsonText(metricBytes, 'ExportMetricsServiceRequest')).toBe(viaObjects(metricBytes, 'ExportMetricsServiceRequest'));
  });

  it('writes what the decoder writes (or fails where it fails) for random requests at the edges of every field', () => {
    const random = seededRandom(23);
    for (let i = 0; i < 60; i++) {
      const { signal, model } = randomCase(random);
      const message = REQUEST_MESSAGE[signal];
      expectAsDecoder(protobuf(model, message), message, `case ${i}`);
    }
  });
});
