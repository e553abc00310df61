/**
 * Runs on: main thread.
 *
 * Kafka's `message.timestamp.after.max.ms` (an hour by default since Kafka 4.0): a producer's
 * record stamped further ahead of the gateway's clock is refused with INVALID_TIMESTAMP. Retention
 * by age keeps a segment while its newest record is younger than the retention, and deletes
 * segments oldest first: one record stamped in 2100 (a skewed clock, microseconds sent as
 * milliseconds) would keep its segment, and so every later one, until then.
 */
import { TributaryError } from '../errors.js';
import type { BatchRecords } from './batch-records.js';

/** Throws INVALID_RECORD (Kafka's INVALID_TIMESTAMP) when a record is stamped more than `afterMaxMs` after `now`. */
export function checkRecordTimestamps(records: BatchRecords, now: number, afterMaxMs: number): void {
  if (records.maxTimestamp <= now + afterMaxMs) return;
  const stamped = new Date(records.maxTimestamp);
  const when = Number.isNaN(stamped.getTime()) ? '' : ` (${stamped.toISOString()})`;
  throw new TributaryError(
    'INVALID_RECORD',
    `record ${records.maxTimestampRecord} of the batch has the timestamp ${records.maxTimestamp}${when}, more than ${afterMaxMs} ms ahead of the gateway's clock ` +
      `(${now}, kafka.message_timestamp_after_max_ms): records are kept by their timestamps, so check the producer's clock and that it sends milliseconds`,
    { details: { problem: 'timestamp' } },
  );
}
