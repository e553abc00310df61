/**
 * Runs on: main thread.
 */
import type { Counter, Gauge, Histogram } from 'prom-client';
import { DEFAULT_TOPICS, type Signal } from '../otlp/signals.js';
import { LATENCY_BUCKETS, type Telemetry } from '../telemetry/telemetry.js';

/**
 * The answers whose series exist from the start: stored, throttled, failed, unavailable (the
 * statuses the dashboards and the shipped alerts rate). A series born at its first increment has
 * no earlier sample, so rate() and increase() miss that first burst.
 */
const STATUSES_FROM_START = ['200', '429', '500', '503'];

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

  /** `openConnections` is read at each scrape; the series of `signals` start at 0. */
  constructor(telemetry: Telemetry, signals: readonly Signal[], openConnections: () => Promise<number>) {
    this.requests = telemetry.counter('tributary_receiver_requests_total', 'OTLP/HTTP requests by signal and HTTP status', ['signal', 'status']);
    this.items = telemetry.counter('tributary_receiver_items_total', 'Spans, data points, log records and events stored', ['signal']);
    this.bytes = telemetry.counter('tributary_receiver_bytes_total', 'Request body bytes received, before decompression', ['signal']);
    this.duration = telemetry.histogram('tributary_receiver_request_duration_seconds', 'Time from request to response', ['signal'], LATENCY_BUCKETS);
    this.inflightBytes = telemetry.gauge('tributary_receiver_inflight_bytes', 'Bytes of requests being processed');
    this.refusedConnections = telemetry.counter('tributary_receiver_refused_connections_total', 'Connections closed on accept because receiver.max_connections were open');
    for (const signal of signals) {
      for (const status of STATUSES_FROM_START) this.requests.inc({ signal, status }, 0);
      this.bytes.inc({ signal }, 0);
    }
    for (const kind of Object.keys(DEFAULT_TOPICS)) this.items.inc({ signal: kind }, 0);
    telemetry.gauge('tributary_receiver_open_connections', 'Connections open to the OTLP/HTTP receiver', [], async function () {
      this.set(await openConnections());
    });
  }
}
