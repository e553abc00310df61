/**
 * Runs on: main thread.
 *
 * The two ends of a partition under Kafka's special offsets: -2 the log start offset, -1 the high
 * watermark (which is also the last stable offset: the log has no transactions). They are read
 * from the memory the partition's broker stores them in (a consumer asks before its first Fetch:
 * a round trip to the broker thread was most of the answer's time); a partition not opened yet is
 * asked of its broker.
 */
import type { EmbeddedBackend } from '../log/embedded/embedded-backend.js';

export const LATEST = -1;
export const EARLIEST = -2;

/** The offset that `which` (EARLIEST or LATEST) stands for in a partition; UNKNOWN_TOPIC as describeTopic. */
export async function partitionEnd(log: EmbeddedBackend, topic: string, partition: number, which: typeof LATEST | typeof EARLIEST): Promise<number> {
  const offsets = log.partitionOffsets(topic, partition) ?? (await log.describeTopic(topic)).partitions[partition];
  return which === LATEST ? offsets.highWatermark : offsets.logStartOffset;
}
