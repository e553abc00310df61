/**
 * Runs on: main thread.
 *
 * What Produce makes of a batch's timestamps, as Kafka's LogValidator does. Retention by age and
 * look-ups by time go by the largest timestamp of each batch, from its header:
 * - a record stamped more than `message.timestamp.after.max.ms` ahead of the gateway's clock (an
 *   hour by default since Kafka 4.0) is refused with INVALID_TIMESTAMP: retention deletes segments
 *   oldest first, each once its newest record is older than the retention, so one record stamped
 *   in 2100 (a skewed clock, microseconds sent as milliseconds) would keep its segment, and so
 *   every later one, until then;
 * - a batch whose header claims another largest timestamp than its records hold gets theirs (and
 *   its CRC-32C anew): kafkajs sorts timestamps as text, so its header can name a smaller one,
 *   and a record stamped now would be deleted as old and missed by a look-up by time;
 * - a batch claiming LogAppendTime is refused (INVALID_TIMESTAMP): only a broker sets it, and the
 *   gateway's readers take each record's own timestamp.
 */
import { TributaryError } from '../errors.js';
import { type BatchHeader, setMaxTimestamp } from '../log/record-batch.js';
import type { BatchRecords } from './batch-records.js';

/** The attributes bit of a batch whose timestamps are the broker's (LogAppendTime). */
const LOG_APPEND_TIME = 0x08;

function invalidTimestamp(message: string): TributaryError {
  return new TributaryError('INVALID_RECORD', message, { details: { problem: 'timestamp' } });
}

/** Throws INVALID_RECORD (Kafka's INVALID_TIMESTAMP) or corrects the header's max timestamp (see the file's comment). */
export function checkRecordTimestamps(batch: Buffer, header: BatchHeader, records: BatchRecords, now: number, afterMaxMs: number): void {
  if (header.attributes & LOG_APPEND_TIME) throw invalidTimestamp('the batch claims LogAppendTime, which only a broker sets: a producer sends CreateTime');
  if (records.maxTimestamp > now + afterMaxMs) {
    const stamped = new Date(records.maxTimestamp);
    const when = Number.isNaN(stamped.getTime()) ? '' : ` (${stamped.toISOString()})`;
    throw invalidTimestamp(
      `record ${records.maxTimestampRecord} of the batch has the timestamp ${records.maxTimestamp}${when}, more than ${afterMaxMs} ms ahead of the gateway's clock ` +
        `(${now}, kafka.message_timestamp_after_max_ms): records are kept by their timestamps, so check the producer's clock and that it sends milliseconds`,
    );
  }
  if (header.maxTimestamp !== records.maxTimestamp) {
    setMaxTimestamp(batch, records.maxTimestamp);
    header.maxTimestamp = records.maxTimestamp;
  }
}
