/**
 * Runs on: main thread. The Kafka backend's self telemetry, under the embedded engine's names
 * where the meaning is the same, so dashboards chart either log; partition sizes and offsets are
 * Kafka's to report (its own JMX metrics).
 */
import type { Telemetry } from '../../telemetry/telemetry.js';

export class KafkaMetrics {
  readonly appendRecords;
  readonly appendBytes;
  readonly fetchRecords;
  readonly produceErrors;

  constructor(telemetry: Telemetry) {
    this.appendRecords = telemetry.counter('tributary_log_append_records_total', 'Records appended to the log', ['topic']);
    this.appendBytes = telemetry.counter('tributary_log_append_bytes_total', 'Bytes of records appended to the log', ['topic']);
    this.fetchRecords = telemetry.counter('tributary_log_fetch_records_total', 'Records returned by fetches', ['topic']);
    this.produceErrors = telemetry.counter('tributary_log_kafka_produce_errors_total', 'Produce calls Kafka did not acknowledge, by error code', ['code']);
  }
}
