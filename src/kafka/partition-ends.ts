/**
 * Runs on: main thread.
 *
 * The two ends of a partition, and Kafka's special offsets for them: -2 the log start offset, -1
 * the high watermark (which is also the last stable offset: the log has no transactions). They are read
 * from the memory the partition's broker stores them in (a consumer asks before its first Fetch:
 * a round trip to the broker thread was most of the answer's time); a partition not opened yet is
 * asked of its broker.
 */
import type { EmbeddedBackend } from '../log/embedded/embedded-backend.js';

export const LATEST = -1;
export const EARLIEST = -2;

/** A partition's log start offset and high watermark; UNKNOWN_TOPIC and UNKNOWN_PARTITION as the log's partitionOffsets. */
export async function partitionOffsets(log: EmbeddedBackend, topic: string, partition: number): Promise<{ logStartOffset: number; highWatermark: number }> {
  const { logStartOffset, highWatermark } = log.partitionOffsets(topic, partition) ?? (await log.describeTopic(topic)).partitions[partition];
  return { logStartOffset, highWatermark };
}

/** The offset that `which` (EARLIEST or LATEST) stands for in a partition. */
export async function partitionEnd(log: EmbeddedBackend, topic: string, partition: number, which: typeof LATEST | typeof EARLIEST): Promise<number> {
  const offsets = await partitionOffsets(log, topic, partition);
  return which === LATEST ? offsets.highWatermark : offsets.logStartOffset;
}
