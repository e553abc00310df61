import { context, trace } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemoryLogRecordExporter, LoggerProvider, type ReadableLogRecord, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { MeterProvider, MetricReader, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';

/** Real SDK telemetry, made by the OpenTelemetry JS SDKs, for the serializers and exporters under test. */

export function serviceResource(name: string, extra: Record<string, string> = {}) {
  return resourceFromAttributes({ 'service.name': name, 'host.name': 'test-host', ...extra });
}

/** `traces` traces of `spansPerTrace` spans each (a root and its children), from one service. */
export function makeSpans(options: { service?: string; traces: number; spansPerTrace: number }): ReadableSpan[] {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: serviceResource(options.service ?? 'checkout'),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer('fixture-tracer', '1.0.0');
  for (let t = 0; t < options.traces; t++) {
    const root = tracer.startSpan(`request ${t}`, { attributes: { 'http.route': '/cart', index: t } });
    const parent = trace.setSpan(context.active(), root);
    for (let s = 1; s < options.spansPerTrace; s++) {
      const child = tracer.startSpan(`step ${s}`, { attributes: { step: s } }, parent);
      child.addEvent('cache miss', { key: `k${s}` });
      child.end();
    }
    root.end();
  }
  return exporter.getFinishedSpans();
}

class CollectingReader extends MetricReader {
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

/** Counters, histograms and gauges with `series` attribute sets each, from one service. */
export async function makeMetrics(options: { service?: string; series: number }): Promise<ResourceMetrics> {
  const reader = new CollectingReader();
  const provider = new MeterProvider({ resource: serviceResource(options.service ?? 'checkout'), readers: [reader] });
  const meter = provider.getMeter('fixture-meter');
  const counter = meter.createCounter('requests');
  const histogram = meter.createHistogram('latency', { unit: 'ms' });
  const gauge = meter.createGauge('queue_depth');
  for (let i = 0; i < options.series; i++) {
    counter.add(i + 1, { route: `/r${i}` });
    histogram.record(i * 3.5, { route: `/r${i}` });
    gauge.record(i, { queue: `q${i}` });
  }
  const { resourceMetrics } = await reader.collect();
  return resourceMetrics;
}

/** Data points in an SDK ResourceMetrics. */
export function dataPointCount(metrics: ResourceMetrics): number {
  return metrics.scopeMetrics.reduce((n, s) => n + s.metrics.reduce((m, metric) => m + metric.dataPoints.length, 0), 0);
}

/**
 * Log records from one service: `logs` plain ones, `events` with an event name, and
 * `legacyEvents` marked the older way, with an `event.name` attribute.
 */
export function makeLogs(options: { service?: string; logs: number; events: number; legacyEvents?: number }): ReadableLogRecord[] {
  const exporter = new InMemoryLogRecordExporter();
  const provider = new LoggerProvider({
    resource: serviceResource(options.service ?? 'checkout'),
    processors: [new SimpleLogRecordProcessor({ exporter })],
  });
  const logger = provider.getLogger('fixture-logger');
  for (let i = 0; i < options.logs; i++) logger.emit({ body: `log line ${i}`, severityNumber: 9, attributes: { index: i } });
  for (let i = 0; i < options.events; i++) logger.emit({ eventName: 'cart.checkout', body: { items: i }, attributes: { index: i } });
  for (let i = 0; i < (options.legacyEvents ?? 0); i++) logger.emit({ body: 'legacy', attributes: { 'event.name': 'cart.legacy', index: i } });
  return exporter.getFinishedLogRecords();
}

/** A small seeded PRNG (mulberry32), so a failing fuzz case can be replayed. */
export function seededRandom(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
