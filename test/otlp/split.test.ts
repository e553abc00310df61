import { ProtobufLogsSerializer, ProtobufMetricsSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { describe, expect, it } from 'vitest';
import { jsonToProto } from '../../src/otlp/json-to-proto.js';
import { partitionForKey } from '../../src/otlp/partitioner.js';
import { type OtlpJson, protoToJson } from '../../src/otlp/proto-to-json.js';
import { REQUEST_MESSAGE, type Signal } from '../../src/otlp/signals.js';
import { dataPointCount, makeLogs, makeMetrics, makeSpans } from './fixtures.js';
import { type Stored, store } from './stored.js';

const PARTITIONS = { traces: 4, metrics: 3, logs: 3, events: 2 };

function run(signal: Signal, body: Uint8Array, maxBatchBytes?: number): Stored {
  return store({ signal, format: 'protobuf', encoding: 'identity', body, maxBytes: 1 << 24, partitions: PARTITIONS }, maxBatchBytes);
}

function decodeRecords(outcome: Stored, signal: Signal) {
  return outcome.records.map((r) => ({ ...r, json: protoToJson(r.value, REQUEST_MESSAGE[signal]) }));
}

type Nested = Record<string, Record<string, unknown>[]>;
/** [resource, scope, item] for every item of a decoded request. */
function items(json: OtlpJson, resourceField: string, scopeField: string, itemField: string) {
  const out: { resource: unknown; scope: unknown; item: Record<string, unknown> }[] = [];
  for (const r of (json[resourceField] ?? []) as Nested[]) {
    for (const s of (r[scopeField] ?? []) as unknown as Nested[]) {
      for (const item of s[itemField] ?? []) out.push({ resource: r.resource, scope: s.scope, item });
    }
  }
  return out;
}

describe('splitting traces', () => {
  it('stores one self-contained record per trace, keyed and partitioned by trace id', () => {
    const spans = [...makeSpans({ service: 'cart', traces: 5, spansPerTrace: 4 }), ...makeSpans({ service: 'payment', traces: 3, spansPerTrace: 2 })];
    const body = ProtobufTraceSerializer.serializeRequest(spans)!;
    const original = protoToJson(body, 'ExportTraceServiceRequest');
    const outcome = run('traces', body);

    expect(outcome.records).toHaveLength(8);
    expect(outcome.accepted).toEqual({ traces: spans.length });
    expect(outcome.rejected).toBe(0);
    const seen: string[] = [];
    for (const record of decodeRecords(outcome, 'traces')) {
      const stored = items(record.json, 'resourceSpans', 'scopeSpans', 'spans');
      expect(new Set(stored.map((s) => s.item.traceId))).toEqual(new Set([record.key]));
      expect(record.topic).toBe('traces');
      expect(record.partition).toBeLessThan(PARTITIONS.traces);
      for (const s of stored) {
        const sent = items(original, 'resourceSpans', 'scopeSpans', 'spans').find((o) => o.item.spanId === s.item.spanId)!;
        expect(s).toEqual(sent);
        seen.push(s.item.spanId as string);
      }
    }
    expect(seen.sort()).toEqual(spans.map((s) => s.spanContext().spanId).sort());
  });

  it('rejects spans with a bad trace id and stores the rest (partial success)', () => {
    const spans = makeSpans({ traces: 2, spansPerTrace: 2 });
    const json = protoToJson(ProtobufTraceSerializer.serializeRequest(spans)!, 'ExportTraceServiceRequest');
    const broken = items(json, 'resourceSpans', 'scopeSpans', 'spans')[0].item;
    broken.traceId = 'abcd';
    const body = jsonRequest(json, 'traces');
    const outcome = run('traces', body);
    expect(outcome.rejected).toBe(1);
    expect(outcome.rejectionMessage).toBe('1 span rejected: malformed span: Span.traceId must be 16 bytes (at byte 91)');
    expect(outcome.accepted).toEqual({ traces: 3 });
  });

  it("keeps each trace's spans in request order when traces interleave around a rejected span", () => {
    const [a0, a1, a2, b0, b1, b2] = makeSpans({ traces: 2, spansPerTrace: 3 });
    const json = protoToJson(ProtobufTraceSerializer.serializeRequest([a0, b0, a1, a2, b1, b2])!, 'ExportTraceServiceRequest');
    const sent = items(json, 'resourceSpans', 'scopeSpans', 'spans').map((s) => s.item);
    sent[3].traceId = '00000000000000000000000000000000';
    const outcome = run('traces', jsonRequest(json, 'traces'));
    expect(outcome.rejected).toBe(1);
    const stored = decodeRecords(outcome, 'traces').map((r) => items(r.json, 'resourceSpans', 'scopeSpans', 'spans').map((s) => s.item.spanId));
    const ids = (...spans: typeof sent) => spans.map((s) => s.spanId);
    expect(stored).toEqual([ids(sent[0], sent[2]), ids(sent[1], sent[4], sent[5])]);
  });
});

describe('records and batches', () => {
  it('keeps the fields around the scopes and spans of a resource split between traces', () => {
    const json = protoToJson(ProtobufTraceSerializer.serializeRequest(makeSpans({ traces: 2, spansPerTrace: 2 }))!, 'ExportTraceServiceRequest');
    const [resourceSpans] = json.resourceSpans as Nested[];
    Object.assign(resourceSpans, { schemaUrl: 'https://example.com/resource' });
    Object.assign((resourceSpans.scopeSpans as Nested[])[0], { schemaUrl: 'https://example.com/scope' });
    const outcome = run('traces', jsonRequest(json, 'traces'));
    expect(outcome.records).toHaveLength(2);
    for (const record of decodeRecords(outcome, 'traces')) {
      const [stored] = record.json.resourceSpans as Nested[];
      expect(stored.schemaUrl).toBe('https://example.com/resource');
      expect((stored.scopeSpans as Nested[])[0].schemaUrl).toBe('https://example.com/scope');
      expect(stored.resource).toEqual(resourceSpans.resource);
    }
  });

  it("splits a partition's records over batches under the batch limit, keeping their order and partitions", () => {
    const body = ProtobufTraceSerializer.serializeRequest(makeSpans({ traces: 40, spansPerTrace: 3 }))!;
    const whole = run('traces', body);
    const split = run('traces', body, 4000);
    const byPartition = (o: Stored) => o.records.map((r) => [r.partition, r.key]).sort((a, b) => (a[0] as number) - (b[0] as number));
    expect(byPartition(split)).toEqual(byPartition(whole));
    expect(split.batches.length).toBeGreaterThan(whole.batches.length);
    for (const b of split.batches) expect(b.length).toBeLessThanOrEqual(4000);
    for (const r of split.records) expect(r.partition).toBe(partitionForKey(Buffer.from(r.key), PARTITIONS.traces));
  });
});

describe('splitting metrics', () => {
  it('stores one record per resource, keyed by its attributes whatever their order', async () => {
    const a = await makeMetrics({ service: 'cart', series: 3 });
    const b = await makeMetrics({ service: 'payment', series: 2 });
    // Concatenated requests are one request in protobuf: here, one with two resources.
    const outcome = run('metrics', Buffer.concat([ProtobufMetricsSerializer.serializeRequest(a)!, ProtobufMetricsSerializer.serializeRequest(b)!]));
    expect(outcome.records).toHaveLength(2);
    expect(outcome.accepted).toEqual({ metrics: dataPointCount(a) + dataPointCount(b) });
    const records = decodeRecords(outcome, 'metrics');
    const services = records.map((r) => JSON.stringify((r.json.resourceMetrics as Nested[])[0].resource));
    expect(services[0]).toContain('cart');
    expect(services[1]).toContain('payment');
    expect(records[0].key).not.toBe(records[1].key);

    // The same resource with its attributes in reverse order gets the same key.
    const json = protoToJson(ProtobufMetricsSerializer.serializeRequest(a)!, 'ExportMetricsServiceRequest');
    const resource = (json.resourceMetrics as Nested[])[0].resource as unknown as { attributes: unknown[] };
    resource.attributes.reverse();
    expect(run('metrics', jsonRequest(json, 'metrics')).records[0].key).toBe(records[0].key);
  });
});

describe('splitting logs', () => {
  it('sends records with an event name or an event.name attribute to the events topic', () => {
    const records = makeLogs({ logs: 4, events: 3, legacyEvents: 2 });
    const outcome = run('logs', ProtobufLogsSerializer.serializeRequest(records)!);
    expect(outcome.accepted).toEqual({ logs: 4, events: 5 });
    const byTopic = Object.fromEntries(decodeRecords(outcome, 'logs').map((r) => [r.topic, items(r.json, 'resourceLogs', 'scopeLogs', 'logRecords')]));
    expect(byTopic.logs.map((l) => l.item.body)).toEqual([0, 1, 2, 3].map((i) => ({ stringValue: `log line ${i}` })));
    expect(byTopic.events.filter((e) => e.item.eventName === 'cart.checkout')).toHaveLength(3);
    expect(byTopic.events).toHaveLength(5);
    expect(outcome.records[0].key).toBe(outcome.records[1].key);
  });
});

describe('malformed requests', () => {
  it('refuses bytes that are not a request with INVALID_REQUEST', () => {
    expect(() => run('traces', Buffer.from([0x0a, 0x05, 0x12]))).toThrow(/malformed protobuf at byte 0/);
    expect(() => run('logs', Buffer.from([0x0d, 1, 2]))).toThrow(expect.objectContaining({ code: 'INVALID_REQUEST' }));
  });

  it('rejects an item whose inside is malformed and keeps the others', () => {
    const json = protoToJson(ProtobufLogsSerializer.serializeRequest(makeLogs({ logs: 2, events: 0 }))!, 'ExportLogsServiceRequest');
    const body = Buffer.from(jsonRequest(json, 'logs'));
    // Turn the first log record's body (field 5, an AnyValue message) into a varint field.
    const at = body.indexOf(Buffer.from('log line 0')) - 4;
    expect(body[at]).toBe(0x2a);
    body[at] = 0x28;
    const outcome = run('logs', body);
    expect(outcome.rejected).toBe(1);
    expect(outcome.rejectionMessage).toMatch(/^1 log record rejected: malformed log record/);
  });
});

function jsonRequest(json: OtlpJson, signal: Signal): Uint8Array {
  return jsonToProto(json, REQUEST_MESSAGE[signal]);
}
