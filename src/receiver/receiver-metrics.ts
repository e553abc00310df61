/**
 * Runs on: main thread.
 */
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
  /** Connections closed as they were accepted, because `receiver.max_connections` were open. */
  readonly refusedConnections: Counter;

  /** `openConnections` is read at each scrape. */
  constructor(telemetry: Telemetry, openConnections: () => Promise<number>) {
    this.requests = telemetry.counter('tributary_receiver_requests_total', 'OTLP/HTTP requests by signal and HTTP status', ['signal', 'status']);
    this.items = telemetry.counter('tributary_receiver_items_total', 'Spans, data points, log records and events stored', ['signal']);
    this.bytes = telemetry.counter('tributary_receiver_bytes_total', 'Request body bytes received, before decompression', ['signal']);
    this.duration = telemetry.histogram('tributary_receiver_request_duration_seconds', 'Time from request to response', ['signal'], LATENCY_BUCKETS);
    this.inflightBytes = telemetry.gauge('tributary_receiver_inflight_bytes', 'Bytes of requests being processed');
    this.refusedConnections = telemetry.counter('tributary_receiver_refused_connections_total', 'Connections closed on accept because receiver.max_connections were open');
    telemetry.gauge('tributary_receiver_open_connections', 'Connections open to the OTLP/HTTP receiver', [], async function () {
      this.set(await openConnections());
    });
  }
}
