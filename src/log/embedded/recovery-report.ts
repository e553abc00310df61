// Runs on: main thread.
import type { Logger } from '../../telemetry/logger.js';
import type { OpenedPartition } from './broker-protocol.js';
import type { ClusterController } from './controller.js';
import type { LogMetrics } from './log-metrics.js';

/**
 * What a broker's recovery did to the partitions it just opened, told to the operator: a warning
 * for records lost (offsets missing, a damaged tail cut off), the bytes cut in a metric, a line
 * for a partition recovered after an unclean stop with nothing lost. A clean open says nothing.
 */
export function reportRecovery(brokerId: number, opened: readonly OpenedPartition[], metrics: LogMetrics, logger: Logger): void {
  for (const { topic, partition, recovery } of opened) {
    if (recovery.clean && recovery.truncatedBytes === 0) continue;
    const fields = { broker: brokerId, topic, partition, ...recovery };
    if (recovery.truncatedBytes > 0) {
      metrics.recoveryTruncatedBytes.inc({ topic, partition: String(partition) }, recovery.truncatedBytes);
    }
    if (recovery.missingOffsets > 0) {
      logger.warn('recovery found offsets missing from a partition (a segment file gone or cut short); the segments after them are kept', fields);
    } else if (recovery.truncatedBytes > 0) {
      logger.warn('recovery cut a damaged tail off a partition', fields);
    } else {
      logger.info('recovered a partition after an unclean stop', fields);
    }
  }
}

/**
 * Loads the cluster's metadata at start and tells the operator what it changed or could not keep:
 * partitions moved off brokers that no longer exist, more partitions than file descriptors allow,
 * and partitions whose directory is gone (they open empty: their records are lost, said once here).
 */
export function loadClusterMetadata(controller: ClusterController, logger: Logger): void {
  const { reassigned, overCapacity } = controller.load();
  if (reassigned > 0) logger.info('moved partitions off brokers that no longer exist', { reassigned });
  if (overCapacity) logger.warn(`the partitions may not all open: ${overCapacity}`);
  for (const { topic, partition, dir } of controller.partitionsWithoutDirectory()) {
    logger.warn(`the partition directory ${dir} is missing; the partition starts empty at offset 0 (its records are lost)`, { topic, partition });
  }
}
