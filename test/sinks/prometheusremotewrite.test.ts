import { ProtobufMetricsSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AggregationTemporality, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { createPipelines } from '../../src/sinks/runtime/pipelines.js';
import { silentLogger } from '../../src/telemetry/logger.js';
import { startGateway } from '../receiver/harness.js';
import { prometheusRemoteWriteSinkFactory } from '../../src/sinks/prometheusremotewrite/prometheusremotewrite-sink.js';
import type { Sink } from '../../src/sinks/sink.js';
import { batchOf, eventually, sinkContext } from './helpers.js';
import { findPrometheus, type PrometheusServer, startPrometheus } from './prometheus-server.js';

const binary = findPrometheus();
if (!binary) {
  if (process.env.CI === 'true') throw new Error('prometheus is not installed (apt-get install prometheus); required under CI');
  console.warn('skipping the Prometheus remote write tests: prometheus is not installed (apt-get install prometheus)');
}

class Reader extends MetricReader {
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

/** Real SDK metrics from a namespaced service instance; counters in delta temporality when asked. */
function meterSetup(temporality: AggregationTemporality) {
  const reader = new Reader({ aggregationTemporalitySelector: () => temporality });
  const collected = async () => (await reader.collect()).resourceMetrics;
  const provider = new MeterProvider({
    resource: resourceFromAttributes({
      'service.name': 'cart',
      'service.namespace': 'shop',
      'service.instance.id': 'cart-7f9',
      'deployment.environment': 'test',
    }),
    readers: [reader],
  });
  const meter = provider.getMeter('cart-meter', '2.1.0');
  const collect = async () => ProtobufMetricsSerializer.serializeRequest((await reader.collect()).resourceMetrics)!;
  return { meter, collect, collected };
}

describe.skipIf(!binary)('prometheusremotewrite sink into a real Prometheus', () => {
  let prometheus: PrometheusServer;
  let sink: Sink;
  beforeAll(async () => {
    prometheus = await startPrometheus(binary!);
    sink = prometheusRemoteWriteSinkFactory.create(
      { type: 'prometheusremotewrite', endpoint: `${prometheus.url}/api/v1/write` },
      sinkContext({ topics: ['otlp_metrics'] }),
    );
    await sink.start();
  });
  afterAll(async () => {
    await sink?.shutdown();
    await prometheus?.stop();
  });

  const one = async (promql: string) => eventually(promql, async () => (await prometheus.query(promql))[0]);

  it('stores counters, gauges and histograms under the OpenTelemetry-to-Prometheus names and labels', async () => {
    const { meter, collect } = meterSetup(AggregationTemporality.CUMULATIVE);
    meter.createCounter('http.server.requests').add(42, { 'http.route': '/cart', 'http.method': 'GET' });
    meter.createCounter('network.io', { unit: 'By' }).add(2048);
    meter.createUpDownCounter('queue.items', { unit: '{item}' }).add(-3);
    meter.createGauge('cpu.utilization', { unit: '1' }).record(0.25);
    const latency = meter.createHistogram('http.server.duration', { unit: 'ms', advice: { explicitBucketBoundaries: [10, 100] } });
    for (const v of [5, 50, 70, 500]) latency.record(v, { 'http.route': '/cart' });

    await sink.export(batchOf('metrics', [await collect()]));

    const requests = await one('http_server_requests_total');
    expect(requests.value).toBe(42);
    expect(requests.metric).toMatchObject({
      job: 'shop/cart',
      instance: 'cart-7f9',
      http_route: '/cart',
      http_method: 'GET',
      otel_scope_name: 'cart-meter',
      otel_scope_version: '2.1.0',
    });
    expect((await one('network_io_bytes_total')).value).toBe(2048);
    expect((await one('queue_items')).value).toBe(-3);
    expect((await one('cpu_utilization_ratio')).value).toBe(0.25);
    const buckets = await eventually('buckets', async () => {
      const found = await prometheus.query('http_server_duration_milliseconds_bucket');
      return found.length === 3 && found;
    });
    expect(Object.fromEntries(buckets.map((b) => [b.metric.le, b.value]))).toEqual({ '10': 1, '100': 3, '+Inf': 4 });
    expect((await one('http_server_duration_milliseconds_sum')).value).toBe(625);
    expect((await one('http_server_duration_milliseconds_count')).value).toBe(4);
    const info = await one('target_info');
    expect(info.metric).toMatchObject({ job: 'shop/cart', instance: 'cart-7f9', deployment_environment: 'test' });
    expect(info.metric.service_name).toBeUndefined();
  });

  it('finds metrics sent to Tributary over OTLP/HTTP, through the log and a pipeline', async () => {
    const gateway = await startGateway();
    const pipelines = createPipelines({
      pipelines: configSchema.parse({
        pipelines: [{ group: 'prometheus', topics: ['otlp_metrics'], sink: { type: 'prometheusremotewrite', endpoint: `${prometheus.url}/api/v1/write` } }],
      }).pipelines,
      backend: gateway.backend,
      telemetry: gateway.telemetry,
      logger: silentLogger,
    });
    try {
      await pipelines.start();
      const { meter, collected } = meterSetup(AggregationTemporality.CUMULATIVE);
      meter.createCounter('checkout.orders').add(3, { 'payment.method': 'card' });
      const exporter = new OTLPMetricExporter({ url: gateway.url('/v1/metrics') });
      const metrics = await collected();
      const result = await new Promise<{ error?: Error }>((resolve) => exporter.export(metrics, resolve));
      expect(result.error).toBeUndefined();
      await exporter.shutdown();
      const orders = await one('checkout_orders_total');
      expect(orders).toMatchObject({ value: 3, metric: { job: 'shop/cart', instance: 'cart-7f9', payment_method: 'card' } });
    } finally {
      await pipelines.shutdown();
      await gateway.close();
    }
  });

  it('turns delta counters cumulative', async () => {
    const { meter, collect } = meterSetup(AggregationTemporality.DELTA);
    const counter = meter.createCounter('orders.placed');
    counter.add(5);
    const first = await collect();
    counter.add(3);
    const second = await collect();
    await sink.export(batchOf('metrics', [first, second]));
    await eventually('cumulative 8', async () => (await prometheus.query('orders_placed_total'))[0]?.value === 8);
  });
});
