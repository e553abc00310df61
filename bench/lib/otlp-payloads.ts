// Runs on: main thread of a benchmark process.
/** OTLP/protobuf payloads the benchmarks send or store, made by the OpenTelemetry JS SDK. */
import { ProtobufMetricsSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { makeSpans } from '../../test/otlp/fixtures.js';

class Reader extends MetricReader {
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

/** Data points in each resource of resourceMetrics(). */
export const POINTS_PER_RESOURCE = 64;

/** One resource's metrics, an ExportMetricsServiceRequest: 22 gauge, 21 sum and 21 histogram points (default buckets). */
export async function resourceMetrics(resource: number, seed: number): Promise<Uint8Array> {
  const reader = new Reader();
  const provider = new MeterProvider({
    resource: resourceFromAttributes({ 'service.name': `svc-${resource}`, 'service.instance.id': `svc-${resource}-${seed}`, 'host.name': `host-${resource % 3}` }),
    readers: [reader],
  });
  const meter = provider.getMeter('bench', '1.0.0');
  const gauge = meter.createGauge('queue.depth');
  const sum = meter.createCounter('http.server.requests');
  const histogram = meter.createHistogram('http.server.duration', { unit: 'ms' });
  for (let i = 0; i < 22; i++) gauge.record(i + seed, { queue: `q${i}` });
  for (let i = 0; i < 21; i++) sum.add(i + 1, { 'http.route': `/r${i}`, 'http.method': 'GET' });
  for (let i = 0; i < 21; i++) histogram.record(i * 3.5 + seed, { 'http.route': `/r${i}` });
  return ProtobufMetricsSerializer.serializeRequest((await reader.collect()).resourceMetrics)!;
}

/** 512 data points from 8 resources in one request (concatenated requests merge their resources). */
export async function metricsRequest(seed: number): Promise<Buffer> {
  return Buffer.concat(await Promise.all(Array.from({ length: 8 }, (_, r) => resourceMetrics(r, seed))));
}

/** `traces` traces of `spansPerTrace` spans in one request. */
export function tracesRequest(traces: number, spansPerTrace: number, seed: number): Buffer {
  return Buffer.from(ProtobufTraceSerializer.serializeRequest(makeSpans({ service: `svc-${seed % 4}`, traces, spansPerTrace }))!);
}
