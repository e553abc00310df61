import type { Counter, Gauge, Histogram } from 'prom-client';
import { LATENCY_BUCKETS, type Telemetry } from '../telemetry/telemetry.js';

/** The receiver's self telemetry (named tributary_<subsystem>_<name>_<unit>, docs/operations.md). */
export class ReceiverMetrics {
  readonly requests: Counter<'signal' | 'status'>;
  /** Spans, data points, log records and events stored, by topic kind. */
  readonly items: Counter<'signal'>;
  /** Request bytes as received (before decompression). */
  readonly bytes: Counter<'signal'>;
  readonly duration: Histogram<'signal'>;
  readonly inflightBytes: Gauge;

  constructor(telemetry: Telemetry) {
    this.requests = telemetry.counter('tributary_receiver_requests_total', 'OTLP/HTTP requests by signal and HTTP status', ['signal', 'status']);
    this.items = telemetry.counter('tributary_receiver_items_total', 'Spans, data points, log records and events stored', ['signal']);
    this.bytes = telemetry.counter('tributary_receiver_bytes_total', 'Request body bytes received, before decompression', ['signal']);
    this.duration = telemetry.histogram('tributary_receiver_request_duration_seconds', 'Time from request to response', ['signal'], LATENCY_BUCKETS);
    this.inflightBytes = telemetry.gauge('tributary_receiver_inflight_bytes', 'Bytes of requests being processed');
  }
}
