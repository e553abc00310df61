import { ProtobufLogsSerializer, ProtobufMetricsSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { describe, expect, it } from 'vitest';
import { protoToJson } from '../../src/otlp/proto-to-json.js';
import { protoToJsonBytes } from '../../src/otlp/proto-to-json-bytes.js';
import { WireReader } from '../../src/otlp/wire-reader.js';
import { makeLogs, makeMetrics, makeSpans, seededRandom } from './fixtures.js';

const protoToJsonText = (buf: Uint8Array, message: string) => protoToJsonBytes(buf, message).toString();

/** What the sinks wrote before: the decoded object, stringified. */
const viaObjects = (buf: Uint8Array, message: string) => JSON.stringify(protoToJson(buf, message));

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
    const spans = makeSpans({ traces: 2, spansPerTrace: 1 });
    const one = ProtobufTraceSerializer.serializeRequest(spans.slice(0, 1))!;
    const two = ProtobufTraceSerializer.serializeRequest(spans.slice(1))!;
    // The ResourceSpans of each request, concatenated: every field of the message appears twice.
    const resourceSpans = (b: Uint8Array) => {
      const r = new WireReader(b, 0, b.length);
      r.next();
      return r.bytes();
    };
    const merged = Buffer.concat([resourceSpans(one), resourceSpans(two)]);
    expect(protoToJsonText(merged, 'ResourceSpans')).toBe(viaObjects(merged, 'ResourceSpans'));
  });

  it('fails where the decoder fails, and agrees where it does not, on damaged input', async () => {
    const random = seededRandom(17);
    for (const [, buf, message] of await cases()) {
      for (let i = 0; i < 200; i++) {
        const damaged = Buffer.from(buf);
        damaged[Math.floor(random() * damaged.length)] = Math.floor(random() * 256);
        let expected: string | undefined;
        try {
          expected = viaObjects(damaged, message);
        } catch {
          expected = undefined;
        }
        if (expected === undefined) expect(() => protoToJsonText(damaged, message)).toThrow();
        else expect(protoToJsonText(damaged, message)).toBe(expected);
      }
    }
  });
});
