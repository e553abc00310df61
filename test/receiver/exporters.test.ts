import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { OTLPTraceExporter as JsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { CompressionAlgorithm } from '@opentelemetry/otlp-exporter-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConsumedRecord } from '../../src/log/types.js';
import { partitionForKey } from '../../src/otlp/partitioner.js';
import { protoToJson } from '../../src/otlp/proto-to-json.js';
import { dataPointCount, makeLogs, makeMetrics, makeSpans } from '../otlp/fixtures.js';
import { type Gateway, startGateway } from './harness.js';
import { send } from '../otlp/send.js';


type Tree = Record<string, Record<string, Record<string, unknown>[]>[]>[];
/** Decodes each record alone and lists its items. */
function itemsOf(records: ConsumedRecord[], message: string, path: [string, string, string]) {
  return records.flatMap((record) => {
    expect(record.headers.find((h) => h.key === 'content-type')?.value.toString()).toBe('application/x-protobuf');
    const json = protoToJson(record.value!, message);
    return (json[path[0]] as Tree).flatMap((r) => r[path[1]].flatMap((s) => s[path[2]].map((item) => ({ record, item }))));
  });
}

const DATA_KINDS = ['gauge', 'sum', 'histogram', 'exponentialHistogram', 'summary'];

let gateway: Gateway;
beforeAll(async () => {
  gateway = await startGateway();
});
afterAll(() => gateway.close());

describe('the receiver with the real OpenTelemetry exporters', () => {
  it('stores every span exactly once, each trace in one record and one partition (protobuf, JSON, gzip)', async () => {
    const batches = [
      makeSpans({ service: 'a', traces: 4, spansPerTrace: 3 }),
      makeSpans({ service: 'b', traces: 3, spansPerTrace: 2 }),
      makeSpans({ service: 'c', traces: 2, spansPerTrace: 4 }),
    ];
    const url = gateway.url('/v1/traces');
    const sendingFrom = Date.now();
    await send(new OTLPTraceExporter({ url, timeoutMillis: 30_000 }), batches[0]);
    await send(new OTLPTraceExporter({ url, timeoutMillis: 30_000, compression: CompressionAlgorithm.GZIP }), batches[1]);
    await send(new JsonTraceExporter({ url, timeoutMillis: 30_000, compression: CompressionAlgorithm.GZIP }), batches[2]);

    const sentUntil = Date.now();
    const stored = itemsOf(await gateway.readTopic('otlp_spans'), 'ExportTraceServiceRequest', ['resourceSpans', 'scopeSpans', 'spans']);
    const sent = batches.flat().map((s) => s.spanContext().spanId);
    expect(stored.map((s) => s.item.spanId).sort()).toEqual(sent.sort());
    for (const { record, item } of stored) {
      expect(record.key!.toString()).toBe(item.traceId);
      expect(record.partition).toBe(partitionForKey(record.key!, 3));
      // The time the gateway received it (docs/records.md), not the spans' own times.
      expect(record.timestamp).toBeGreaterThanOrEqual(sendingFrom);
      expect(record.timestamp).toBeLessThanOrEqual(sentUntil);
    }
    expect(new Set(stored.map((s) => s.record.key!.toString())).size).toBe(9);
    const metrics = await gateway.telemetry.metricsText();
    expect(metrics).toContain('tributary_receiver_items_total{signal="traces"} 26');
    expect(metrics).toContain('tributary_receiver_requests_total{signal="traces",status="200"} 3');
  });

  it('stores every data point once, one record per resource', async () => {
    const url = gateway.url('/v1/metrics');
    const first = await makeMetrics({ service: 'm1', series: 3 });
    const second = await makeMetrics({ service: 'm2', series: 2 });
    await send(new OTLPMetricExporter({ url, timeoutMillis: 30_000 }), first);
    await send(new OTLPMetricExporter({ url, timeoutMillis: 30_000, compression: CompressionAlgorithm.GZIP }), second);
    const records = await gateway.readTopic('otlp_metrics');
    expect(records).toHaveLength(2);
    const json = records.map((r) => protoToJson(r.value!, 'ExportMetricsServiceRequest'));
    const metrics = json.flatMap((j) => (j.resourceMetrics as Tree).flatMap((r) => r.scopeMetrics.flatMap((s) => s.metrics)));
    const points = metrics.flatMap((m) => DATA_KINDS.flatMap((kind) => (m[kind] as { dataPoints?: unknown[] } | undefined)?.dataPoints ?? []));
    expect(points).toHaveLength(dataPointCount(first) + dataPointCount(second));
  });

  it('stores log records in otlp_logs and events in otlp_events, each once', async () => {
    const url = gateway.url('/v1/logs');
    await send(new OTLPLogExporter({ url, timeoutMillis: 30_000 }), makeLogs({ service: 'l1', logs: 3, events: 2, legacyEvents: 1 }));
    await send(new OTLPLogExporter({ url, timeoutMillis: 30_000, compression: CompressionAlgorithm.GZIP }), makeLogs({ service: 'l2', logs: 2, events: 1 }));
    const logs = itemsOf(await gateway.readTopic('otlp_logs'), 'ExportLogsServiceRequest', ['resourceLogs', 'scopeLogs', 'logRecords']);
    const events = itemsOf(await gateway.readTopic('otlp_events'), 'ExportLogsServiceRequest', ['resourceLogs', 'scopeLogs', 'logRecords']);
    expect(logs.map((l) => (l.item.body as { stringValue: string }).stringValue).sort()).toEqual(['log line 0', 'log line 0', 'log line 1', 'log line 1', 'log line 2']);
    expect(events).toHaveLength(4);
    expect(events.filter((e) => e.item.eventName === 'cart.checkout')).toHaveLength(3);
  });
});
