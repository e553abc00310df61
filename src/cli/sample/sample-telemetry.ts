// Runs on: main thread of the `tributary` command.
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { setGlobalErrorHandler } from '@opentelemetry/core';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, LoggerProvider } from '@opentelemetry/sdk-logs';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';

export interface SampleOptions {
  /** Base URL of the OTLP/HTTP receiver, e.g. http://127.0.0.1:4318 */
  endpoint: string;
  token?: string;
  /** Checkout requests to simulate; each is one trace across three services. */
  requests: number;
}

export interface SampleCounts {
  traces: number;
  spans: number;
  logs: number;
  events: number;
  metricRecordings: number;
}

const SERVICES = ['frontend', 'checkout', 'payment'] as const;
// Large enough that the SDK's batch processors drop nothing for the request counts the CLI allows.
const QUEUE = 100_000;

/**
 * Realistic telemetry of a small shop, made with the OpenTelemetry SDK and sent with its OTLP/HTTP
 * protobuf exporters: one trace per checkout across three services, request metrics, logs, and
 * events (log records with an event name). Resolves once every exporter has flushed; rejects
 * with the exporters' errors when any export failed (the SDK only reports them to its global
 * error handler).
 */
export async function sendSampleTelemetry(options: SampleOptions): Promise<SampleCounts> {
  const failures = new Map<string, unknown>();
  setGlobalErrorHandler((err) => failures.set(err instanceof Error ? err.message : String(err), err));
  const headers = options.token ? { Authorization: `Bearer ${options.token}` } : undefined;
  const url = (path: string) => new URL(path, options.endpoint).toString();
  const counts: SampleCounts = { traces: 0, spans: 0, logs: 0, events: 0, metricRecordings: 0 };

  const providers = SERVICES.map((service) => {
    const resource = resourceFromAttributes({
      'service.name': service,
      'service.namespace': 'shop',
      'service.instance.id': `${service}-1`,
      'deployment.environment.name': 'demo',
    });
    const tracer = new BasicTracerProvider({
      resource,
      spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: url('/v1/traces'), headers }), { maxQueueSize: QUEUE })],
    });
    const meter = new MeterProvider({
      resource,
      readers: [
        new PeriodicExportingMetricReader({ exporter: new OTLPMetricExporter({ url: url('/v1/metrics'), headers }), exportIntervalMillis: 60_000 }),
      ],
    });
    const logger = new LoggerProvider({
      resource,
      processors: [new BatchLogRecordProcessor({ exporter: new OTLPLogExporter({ url: url('/v1/logs'), headers }), maxQueueSize: QUEUE })],
    });
    return { service, tracer, meter, logger };
  });

  const started = Date.now();
  for (let i = 0; i < options.requests; i++) {
    let parent = context.active();
    // A request every 50 ms up to now, 20-59 ms long; each service's span inside its caller's, as in a real call chain.
    const requestStart = started - (options.requests - i) * 50;
    const durationMs = 20 + ((i * 7) % 40);
    for (const [depth, p] of providers.entries()) {
      const span = p.tracer.getTracer('tributary-sample').startSpan(
        depth === 0 ? 'GET /checkout' : `${p.service}.process`,
        { kind: depth === 0 ? SpanKind.SERVER : SpanKind.INTERNAL, attributes: { 'request.number': i }, startTime: requestStart + depth * 2 },
        parent,
      );
      const failed = p.service === 'payment' && i % 10 === 9;
      if (failed) span.setStatus({ code: SpanStatusCode.ERROR, message: 'card declined' });
      span.end(requestStart + durationMs - depth * 3);
      parent = trace.setSpan(parent, span);
      counts.spans++;

      const meter = p.meter.getMeter('tributary-sample');
      meter.createCounter('http.server.requests', { unit: '{request}', description: 'Requests served' }).add(1, { route: '/checkout' });
      meter.createHistogram('http.server.duration', { unit: 'ms', description: 'Request duration' }).record(durationMs - depth * 5, { route: '/checkout' });
      counts.metricRecordings += 2;

      const logger = p.logger.getLogger('tributary-sample');
      logger.emit({
        severityNumber: failed ? SeverityNumber.ERROR : SeverityNumber.INFO,
        severityText: failed ? 'ERROR' : 'INFO',
        body: failed ? `payment ${i} declined` : `${p.service} handled request ${i}`,
        context: parent,
      });
      counts.logs++;
    }
    providers[0].logger.getLogger('tributary-sample').emit({ eventName: 'shop.checkout.completed', body: { order: i }, attributes: { 'order.id': i } });
    counts.events++;
    counts.traces++;
  }

  for (const p of providers) {
    await Promise.all([p.tracer.forceFlush(), p.meter.forceFlush(), p.logger.forceFlush()]);
    await Promise.all([p.tracer.shutdown(), p.meter.shutdown(), p.logger.shutdown()]);
  }
  // The first failure is the cause: an answer from the receiver (its HTTP status in `code`) tells a refusal from no gateway.
  if (failures.size > 0) throw new Error(`export to ${options.endpoint} failed: ${[...failures.keys()].join('; ')}`, { cause: [...failures.values()][0] });
  return counts;
}
