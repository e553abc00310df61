/**
 * Runs on: main thread.
 *
 * The Kafka listener's self telemetry: requests by API and version, failed requests, bytes in
 * and out, open connections, and those refused or closed for idleness; the memory of frames
 * partly received, and the waits for it.
 */
import type { Telemetry } from '../telemetry/telemetry.js';

export class KafkaMetrics {
  readonly requests;
  readonly requestErrors;
  readonly receivedBytes;
  readonly sentBytes;
  readonly connections;
  readonly refusedConnections;
  readonly idleClosedConnections;
  readonly partialRequestWaits;

  constructor(telemetry: Telemetry, partialRequestBytes: () => number) {
    this.requests = telemetry.counter('tributary_kafka_requests_total', 'Kafka protocol requests received, by API and version', ['api', 'version']);
    this.requestErrors = telemetry.counter(
      'tributary_kafka_request_errors_total',
      'Kafka protocol requests that failed as a whole (the connection is closed), by API and reason',
      ['api', 'reason'],
    );
    this.receivedBytes = telemetry.counter('tributary_kafka_received_bytes_total', 'Bytes of Kafka protocol requests received');
    this.sentBytes = telemetry.counter('tributary_kafka_sent_bytes_total', 'Bytes of Kafka protocol responses sent');
    this.connections = telemetry.gauge('tributary_kafka_connections', 'Open Kafka protocol connections');
    this.refusedConnections = telemetry.counter(
      'tributary_kafka_refused_connections_total',
      'Kafka protocol connections closed on accept because kafka.max_connections were open',
    );
    this.idleClosedConnections = telemetry.counter(
      'tributary_kafka_idle_closed_connections_total',
      'Kafka protocol connections closed after kafka.idle_timeout without a request',
    );
    telemetry.gauge('tributary_kafka_partial_request_bytes', 'Memory of Kafka request frames partly received, all connections together', [], function () {
      this.set(partialRequestBytes());
    });
    this.partialRequestWaits = telemetry.counter(
      'tributary_kafka_partial_request_waits_total',
      'Times a Kafka connection stopped being read because its frame did not fit in kafka.max_partial_request_bytes',
    );
  }
}
