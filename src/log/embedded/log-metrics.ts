// Runs on: main thread.
import { statfs } from 'node:fs/promises';
import type { Telemetry } from '../../telemetry/telemetry.js';
import type { PartitionStats } from './broker-protocol.js';

/** The embedded engine's self telemetry; partition gauges are read from the brokers at scrape time. */
export class LogMetrics {
  readonly appendRecords;
  readonly appendBytes;
  readonly fetchRecords;
  readonly brokerRestarts;
  readonly recoveryTruncatedBytes;

  constructor(telemetry: Telemetry, dataDir: string, stats: () => Promise<PartitionStats[]>) {
    this.appendRecords = telemetry.counter('tributary_log_append_records_total', 'Records appended to the log', ['topic']);
    this.appendBytes = telemetry.counter('tributary_log_append_bytes_total', 'Bytes of record batches appended to the log', ['topic']);
    this.fetchRecords = telemetry.counter('tributary_log_fetch_records_total', 'Records returned by fetches', ['topic']);
    this.brokerRestarts = telemetry.counter('tributary_log_broker_restarts_total', 'Broker threads restarted after they died', [
      'broker',
    ]);
    this.recoveryTruncatedBytes = telemetry.counter(
      'tributary_log_recovery_truncated_bytes_total',
      'Bytes cut from partition logs by recovery after an unclean stop',
      ['topic', 'partition'],
    );
    // One round of stats requests serves the three gauges of a scrape, which collect concurrently.
    let inFlight: Promise<PartitionStats[]> | undefined;
    const shared = () => {
      inFlight ??= stats()
        .catch(() => [])
        .finally(() => {
          inFlight = undefined;
        });
      return inFlight;
    };
    const partitionGauge = (name: string, help: string, pick: (s: PartitionStats) => number) =>
      telemetry.gauge(name, help, ['topic', 'partition'], async function () {
        const all = await shared();
        this.reset();
        for (const s of all) this.set({ topic: s.topic, partition: String(s.partition) }, pick(s));
      });
    partitionGauge('tributary_log_partition_high_watermark', 'Next offset to be written', (s) => s.highWatermark);
    partitionGauge('tributary_log_partition_size_bytes', 'Bytes of segments on disk', (s) => s.sizeBytes);
    partitionGauge('tributary_log_partition_log_start_offset', 'First offset still in the log', (s) => s.logStartOffset);
    // The file system's own figures, so that an alert sees a disk filling before writes fail with ENOSPC.
    let disk: Promise<{ free: number; size: number } | undefined> | undefined;
    const diskOnce = () => {
      disk ??= statfs(dataDir)
        .then((s) => ({ free: s.bavail * s.bsize, size: s.blocks * s.bsize }), () => undefined)
        .finally(() => {
          disk = undefined;
        });
      return disk;
    };
    const diskGauge = (name: string, help: string, pick: (d: { free: number; size: number }) => number) =>
      telemetry.gauge(name, help, [], async function () {
        // Left as they were when statfs fails (0 and 0 before any: a ratio of them is no number, no alert).
        const figures = await diskOnce();
        if (figures) this.set(pick(figures));
      });
    diskGauge('tributary_log_disk_free_bytes', "Bytes the gateway may still write on log.data_dir's file system", (d) => d.free);
    diskGauge('tributary_log_disk_size_bytes', "Size of log.data_dir's file system", (d) => d.size);
  }

  /** A deleted topic's series leave /metrics (the partition gauges drop it at the next scrape by themselves). */
  forgetTopic(topic: string, partitions: number): void {
    for (const counter of [this.appendRecords, this.appendBytes, this.fetchRecords]) counter.remove({ topic });
    for (let p = 0; p < partitions; p++) this.recoveryTruncatedBytes.remove({ topic, partition: String(p) });
  }
}
