import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { ProtobufLogsSerializer, ProtobufMetricsSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { afterEach, describe, expect, it } from 'vitest';
import type { TributaryError } from '../../src/errors.js';
import { jsonToProto } from '../../src/otlp/json-to-proto.js';
import { REQUEST_MESSAGE } from '../../src/otlp/signals.js';
import { createDebugSink } from '../../src/sinks/debug/debug-sink.js';
import { webhookSinkFactory } from '../../src/sinks/webhook/webhook-sink.js';
import { makeLogs, makeMetrics, makeSpans } from '../otlp/fixtures.js';
import { batchOf, sinkContext, startReceiver, type TestReceiver } from './helpers.js';

describe('webhook sink', () => {
  let receiver: TestReceiver | undefined;
  afterEach(async () => {
    await receiver?.close();
    receiver = undefined;
  });

  it('POSTs the batch as OTLP/JSON with the configured headers', async () => {
    receiver = await startReceiver();
    const sink = webhookSinkFactory.create(
      { type: 'webhook', endpoint: `${receiver.url}/hook`, headers: { 'x-api-key': 'k-123' }, compression: 'gzip' },
      sinkContext(),
    );
    const a = ProtobufTraceSerializer.serializeRequest(makeSpans({ service: 'cart', traces: 2, spansPerTrace: 2 }))!;
    const b = ProtobufTraceSerializer.serializeRequest(makeSpans({ service: 'checkout', traces: 1, spansPerTrace: 3 }))!;
    await sink.export(batchOf('traces', [a, b]));
    expect(receiver.requests).toHaveLength(1);
    const [request] = receiver.requests;
    expect(request.path).toBe('/hook');
    expect(request.headers['x-api-key']).toBe('k-123');
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.headers['x-tributary-signal']).toBe('traces');
    const body = JSON.parse(request.body.toString()) as { resourceSpans: { scopeSpans: { spans: { traceId: string }[] }[] }[] };
    expect(body.resourceSpans).toHaveLength(2);
    expect(body.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans))).toHaveLength(7);
    expect(body.resourceSpans[0].scopeSpans[0].spans[0].traceId).toMatch(/^[0-9a-f]{32}$/);
  });

  it('reports a 4xx as a permanent rejection and a 429 as retriable with its Retry-After', async () => {
    receiver = await startReceiver();
    const sink = webhookSinkFactory.create({ type: 'webhook', endpoint: receiver.url }, sinkContext());
    const batch = batchOf('traces', [ProtobufTraceSerializer.serializeRequest(makeSpans({ traces: 1, spansPerTrace: 1 }))!]);
    receiver.respond = () => ({ status: 422, body: 'unknown tenant' });
    const rejected = await sink.export(batch).catch((e: TributaryError) => e);
    expect(rejected).toMatchObject({ code: 'SINK_REJECTED', retriable: false, details: { status: 422 } });
    expect((rejected as TributaryError).message).toContain('unknown tenant');
    receiver.respond = () => ({ status: 429, headers: { 'retry-after': '7' } });
    await expect(sink.export(batch)).rejects.toMatchObject({ code: 'SINK_UNAVAILABLE', retriable: true, details: { retryAfterMs: 7000 } });
  });

  it('gives up on a destination that does not answer within its timeout, as retriable', async () => {
    receiver = await startReceiver();
    receiver.respond = () => new Promise(() => {});
    const sink = webhookSinkFactory.create({ type: 'webhook', endpoint: receiver.url, timeout: '200ms' }, sinkContext());
    const batch = batchOf('traces', [ProtobufTraceSerializer.serializeRequest(makeSpans({ traces: 1, spansPerTrace: 1 }))!]);
    await expect(sink.export(batch)).rejects.toMatchObject({ code: 'SINK_UNAVAILABLE', retriable: true, message: /no answer within 200 ms/ });
    await sink.shutdown();
  });

  it('takes a 2xx whose body never ends as accepted once it has read enough of it, without holding the answer in memory until the timeout', async () => {
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    let sent = 0;
    const server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json' });
        const more = () => {
          while (!res.destroyed && res.write(chunk)) sent += chunk.length;
          if (!res.destroyed) res.once('drain', more);
        };
        more();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
      const sink = webhookSinkFactory.create({ type: 'webhook', endpoint: url, timeout: '30s' }, sinkContext());
      const batch = batchOf('traces', [ProtobufTraceSerializer.serializeRequest(makeSpans({ traces: 1, spansPerTrace: 1 }))!]);
      const started = Date.now();
      await expect(sink.export(batch)).resolves.toEqual({});
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(sent).toBeLessThan(64 * 1024 ** 2);
      await sink.shutdown();
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('reports an unreachable endpoint as retriable', async () => {
    const sink = webhookSinkFactory.create({ type: 'webhook', endpoint: 'http://127.0.0.1:1/hook' }, sinkContext());
    const batch = batchOf('traces', [ProtobufTraceSerializer.serializeRequest(makeSpans({ traces: 1, spansPerTrace: 1 }))!]);
    await expect(sink.export(batch)).rejects.toMatchObject({ code: 'SINK_UNAVAILABLE', retriable: true });
  });
});

/** A basic debug sink named `debug`, and what it has printed so far. */
function debugSinkPrinting() {
  const out = new PassThrough();
  let text = '';
  out.on('data', (c: Buffer) => {
    text += c.toString();
  });
  return { sink: createDebugSink({ verbosity: 'basic' }, sinkContext({ pipeline: 'debug' }), out), printed: () => text };
}

describe('debug sink', () => {
  it('prints one summary line per batch and signal: items and services', async () => {
    const { sink, printed } = debugSinkPrinting();
    const metrics = ProtobufMetricsSerializer.serializeRequest(await makeMetrics({ service: 'cart', series: 2 }))!;
    const spans = [
      ProtobufTraceSerializer.serializeRequest(makeSpans({ service: 'cart', traces: 2, spansPerTrace: 3 }))!,
      ProtobufTraceSerializer.serializeRequest(makeSpans({ service: 'checkout', traces: 1, spansPerTrace: 1 }))!,
    ];
    await sink.export(batchOf('traces', spans));
    await sink.export(batchOf('metrics', [metrics]));
    expect(printed()).toBe('debug traces records=2 items=7 services=cart,checkout\ndebug metrics records=1 items=6 services=cart\n');
  });

  it('names a resource by its service.name wherever it lies among the attributes, unknown without one, and refuses a record that does not decode', async () => {
    const { sink, printed } = debugSinkPrinting();
    const span = { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', name: 'GET /', kind: 2, startTimeUnixNano: '1', endTimeUnixNano: '2' };
    const request = (attributes: { key: string; value: { stringValue: string } }[]) =>
      jsonToProto({ resourceSpans: [{ resource: { attributes }, scopeSpans: [{ spans: [span] }] }] }, REQUEST_MESSAGE.traces);
    const named = request([
      { key: 'host.name', value: { stringValue: 'h1' } },
      { key: 'service.namespace', value: { stringValue: 'shop' } },
      { key: 'service.name', value: { stringValue: 'payment' } },
    ]);
    const anonymous = request([{ key: 'service.names', value: { stringValue: 'not-a-service' } }]);
    await sink.export(batchOf('traces', [named, anonymous]));
    expect(printed()).toBe('debug traces records=2 items=2 services=payment,unknown\n');
    await expect(sink.export(batchOf('traces', [Buffer.from([0x0a, 0x05, 0x01])]))).rejects.toMatchObject({ code: 'SINK_REJECTED', retriable: false });
  });

  it('names events apart from other log records: by their otlp-signal header, else by their default topic', async () => {
    const { sink, printed } = debugSinkPrinting();
    const logs = ProtobufLogsSerializer.serializeRequest(makeLogs({ service: 'cart', logs: 3, events: 0 }))!;
    const events = ProtobufLogsSerializer.serializeRequest(makeLogs({ service: 'cart', logs: 0, events: 2 }))!;
    const batch = batchOf('logs', [logs]);
    batch.signals[0].records.push(...batchOf('logs', [events], 'otlp_events').signals[0].records);
    // Events from a renamed topic, as the receiver writes them since records name their kind.
    const renamed = batchOf('logs', [events], 'team_a.events').signals[0].records;
    for (const record of renamed) record.headers.push({ key: 'otlp-signal', value: Buffer.from('events') });
    batch.signals[0].records.push(...renamed);
    await sink.export(batch);
    expect(printed()).toBe('debug logs records=1 items=3 services=cart\ndebug events records=2 items=4 services=cart\n');
  });
});
