import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { protoToJson } from '../../src/otlp/proto-to-json.js';
import { type Model, protobuf } from '../otlp/request-model.js';
import { type Gateway, startGateway } from './harness.js';

const PROTOBUF = { 'content-type': 'application/x-protobuf' };
const JSON_TYPE = { 'content-type': 'application/json' };

const TRACE = '0102030405060708090a0b0c0d0e0f10';
const SPAN = '0102030405060708';

async function post(gateway: Gateway, path: string, body: Uint8Array | string, headers: Record<string, string>) {
  const res = await fetch(gateway.url(path), { method: 'POST', body, headers });
  return { status: res.status, text: Buffer.from(await res.arrayBuffer()).toString() };
}

/** The items of every record stored in a topic, decoded, in order. */
async function storedItems(gateway: Gateway, topic: string, message: string, path: string[]): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  for (const record of await gateway.readTopic(topic)) {
    let level: unknown[] = [protoToJson(record.value!, message)];
    for (const key of path) level = level.flatMap((node) => ((node as Record<string, unknown[]>)[key] ?? []) as unknown[]);
    items.push(...(level as Record<string, unknown>[]));
  }
  return items;
}

describe('trace and span ids', () => {
  let gateway: Gateway;
  beforeAll(async () => {
    gateway = await startGateway();
  });
  afterAll(() => gateway.close());

  // The Collector's protobuf decoder (pdata) refuses a whole request, or a whole Kafka record,
  // holding one trace or span id that is neither empty nor 16 / 8 bytes long.
  it('rejects with partial_success the spans, log records and metrics holding an id of the wrong length, so every stored record decodes', async () => {
    const spans: Model[] = [
      { traceId: TRACE, spanId: SPAN, name: 'ok', parentSpanId: SPAN, links: [{ traceId: TRACE, spanId: SPAN }] },
      { traceId: TRACE, spanId: SPAN, name: 'short parent', parentSpanId: 'abcd' },
      { traceId: TRACE, spanId: SPAN, name: 'short link trace id', links: [{ traceId: 'ab', spanId: SPAN }] },
      { traceId: TRACE, spanId: SPAN, name: 'long link span id', links: [{ traceId: TRACE, spanId: `${SPAN}00` }] },
    ];
    const traces = await post(gateway, '/v1/traces', protobuf({ resourceSpans: [{ scopeSpans: [{ spans }] }] }, 'ExportTraceServiceRequest'), PROTOBUF);
    expect(traces.status).toBe(200);
    const traceAnswer = await post(gateway, '/v1/traces', JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans }] }] }), JSON_TYPE);
    expect(JSON.parse(traceAnswer.text).partialSuccess.rejectedSpans).toBe('3');
    expect(JSON.parse(traceAnswer.text).partialSuccess.errorMessage).toMatch(/Span.parentSpanId must be 8 bytes/);
    expect((await storedItems(gateway, 'otlp_spans', 'ExportTraceServiceRequest', ['resourceSpans', 'scopeSpans', 'spans'])).map((s) => s.name)).toEqual(['ok', 'ok']);

    const logRecords: Model[] = [
      { body: { stringValue: 'ok' }, traceId: TRACE, spanId: SPAN },
      { body: { stringValue: 'short trace id' }, traceId: 'abcdef', spanId: SPAN },
      { body: { stringValue: 'short span id' }, spanId: '01' },
    ];
    const logs = await post(gateway, '/v1/logs', JSON.stringify({ resourceLogs: [{ scopeLogs: [{ logRecords }] }] }), JSON_TYPE);
    expect(JSON.parse(logs.text).partialSuccess.rejectedLogRecords).toBe('2');
    expect((await storedItems(gateway, 'otlp_logs', 'ExportLogsServiceRequest', ['resourceLogs', 'scopeLogs', 'logRecords'])).map((l) => l.body)).toEqual([{ stringValue: 'ok' }]);

    const point = (spanId: string): Model => ({ timeUnixNano: '1', asInt: '1', exemplars: [{ timeUnixNano: '1', asInt: '1', spanId, traceId: TRACE }] });
    const metrics = [
      { name: 'ok', gauge: { dataPoints: [point(SPAN)] } },
      { name: 'bad exemplar', gauge: { dataPoints: [point('0102'), point(SPAN)] } },
    ];
    const answer = await post(gateway, '/v1/metrics', JSON.stringify({ resourceMetrics: [{ scopeMetrics: [{ metrics }] }] }), JSON_TYPE);
    expect(JSON.parse(answer.text).partialSuccess.rejectedDataPoints).toBe('2');
    // The message counts what rejected_data_points counts, and names the one metric at fault once.
    expect(JSON.parse(answer.text).partialSuccess.errorMessage).toMatch(/^2 data points rejected: malformed metric: Exemplar\.spanId must be 8 bytes \(at byte \d+\)$/);
    expect((await storedItems(gateway, 'otlp_metrics', 'ExportMetricsServiceRequest', ['resourceMetrics', 'scopeMetrics', 'metrics'])).map((m) => m.name)).toEqual(['ok']);
  });

  it('answers 400 naming the JSON path for an id that is not hex (base64, say), instead of storing the item without it', async () => {
    const span = (ids: Record<string, string>) => JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: TRACE, spanId: SPAN, name: 'child', ...ids }] }] }] });
    for (const [ids, path] of [
      [{ parentSpanId: 'zz' }, 'resourceSpans[0].scopeSpans[0].spans[0].parentSpanId'],
      [{ traceId: Buffer.from(TRACE, 'hex').toString('base64') }, 'resourceSpans[0].scopeSpans[0].spans[0].traceId'],
      [{ parentSpanId: '0102030' }, 'resourceSpans[0].scopeSpans[0].spans[0].parentSpanId'],
    ] as const) {
      const answer = await post(gateway, '/v1/traces', span(ids), JSON_TYPE);
      expect(answer.status, JSON.stringify(ids)).toBe(400);
      expect(JSON.parse(answer.text).message).toBe(`${path}: expected a hex id (OTLP/JSON writes trace and span ids in hex, not base64)`);
    }
    const upperCase = await post(gateway, '/v1/traces', span({ traceId: TRACE.toUpperCase(), parentSpanId: SPAN.toUpperCase() }), JSON_TYPE);
    expect(upperCase).toEqual({ status: 200, text: '{}' });
    const stored = await storedItems(gateway, 'otlp_spans', 'ExportTraceServiceRequest', ['resourceSpans', 'scopeSpans', 'spans']);
    expect(stored.filter((s) => s.name === 'child')).toEqual([expect.objectContaining({ traceId: TRACE, parentSpanId: SPAN })]);
  });
});

describe('OTLP/JSON bytes values', () => {
  let gateway: Gateway;
  beforeAll(async () => {
    gateway = await startGateway();
  });
  afterAll(() => gateway.close());

  const withBytes = (name: string, bytesValue: string) =>
    JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: TRACE, spanId: SPAN, name, attributes: [{ key: 'b', value: { bytesValue } }] }] }] }] });

  it('answers 400 naming the JSON path for a bytesValue that is not base64, and stores base64 of either alphabet, padded or not, exactly', async () => {
    for (const bad of ['not base64!!', 'AQID=A', 'A', '@@@@']) {
      const answer = await post(gateway, '/v1/traces', withBytes('bad', bad), JSON_TYPE);
      expect(answer.status, bad).toBe(400);
      expect(JSON.parse(answer.text).message).toBe('resourceSpans[0].scopeSpans[0].spans[0].attributes[0].value.bytesValue: expected base64 bytes');
    }
    const bytes = Buffer.from([0xfb, 0xff, 0xbf, 0x01, 0x02]);
    for (const good of [bytes.toString('base64'), bytes.toString('base64url'), bytes.toString('base64').replace(/=+$/, '')]) {
      expect(await post(gateway, '/v1/traces', withBytes('good', good), JSON_TYPE), good).toEqual({ status: 200, text: '{}' });
    }
    const stored = await storedItems(gateway, 'otlp_spans', 'ExportTraceServiceRequest', ['resourceSpans', 'scopeSpans', 'spans']);
    expect(stored.map((s) => s.name)).toEqual(['good', 'good', 'good']);
    for (const span of stored) expect(span.attributes).toEqual([{ key: 'b', value: { bytesValue: bytes.toString('base64') } }]);
  });
});
