import { JsonLogsSerializer, ProtobufLogsSerializer, ProtobufMetricsSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { describe, expect, it } from 'vitest';
import { TributaryError } from '../../src/errors.js';
import { protoToJson } from '../../src/otlp/proto-to-json.js';
import type { WireFormat } from '../../src/otlp/responses.js';
import { REQUEST_MESSAGE, type Signal } from '../../src/otlp/signals.js';
import { makeLogs, makeMetrics, makeSpans, seededRandom } from './fixtures.js';
import { type Stored, store } from './stored.js';

function mutate(input: Uint8Array, rnd: () => number): Uint8Array {
  const out = Buffer.from(input);
  const edits = 1 + Math.floor(rnd() * 4);
  for (let e = 0; e < edits; e++) {
    const at = Math.floor(rnd() * out.length);
    const kind = rnd();
    if (kind < 0.5) out[at] = Math.floor(rnd() * 256);
    else if (kind < 0.75) out[at] ^= 1 << Math.floor(rnd() * 8);
    else return out.subarray(0, at); // truncated
  }
  return out;
}

/** Either a clean refusal or records that each decode on their own; nothing else. */
function expectSafe(signal: Signal, format: WireFormat, body: Uint8Array) {
  let outcome: Stored;
  try {
    outcome = store({ signal, format, encoding: 'identity', body, maxBytes: 1 << 20, partitions: { traces: 3, metrics: 3, logs: 3, events: 3 } });
  } catch (err) {
    expect(err).toBeInstanceOf(TributaryError);
    expect((err as TributaryError).code).toBe('INVALID_REQUEST');
    return;
  }
  for (const r of outcome.records) protoToJson(r.value, REQUEST_MESSAGE[signal]);
}

describe('decoders under random and mutated input', () => {
  it('refuse cleanly or store only decodable records', async () => {
    const rnd = seededRandom(42);
    const seeds: [Signal, WireFormat, Uint8Array][] = [
      ['traces', 'protobuf', ProtobufTraceSerializer.serializeRequest(makeSpans({ traces: 3, spansPerTrace: 3 }))!],
      ['metrics', 'protobuf', ProtobufMetricsSerializer.serializeRequest(await makeMetrics({ series: 2 }))!],
      ['logs', 'protobuf', ProtobufLogsSerializer.serializeRequest(makeLogs({ logs: 2, events: 2 }))!],
      ['logs', 'json', JsonLogsSerializer.serializeRequest(makeLogs({ logs: 2, events: 2 }))!],
    ];
    for (const [signal, format, seed] of seeds) {
      for (let i = 0; i < 300; i++) expectSafe(signal, format, mutate(seed, rnd));
      for (let i = 0; i < 100; i++) {
        const noise = Buffer.alloc(Math.floor(rnd() * 200));
        for (let b = 0; b < noise.length; b++) noise[b] = Math.floor(rnd() * 256);
        expectSafe(signal, format, noise);
      }
    }
  });
});
