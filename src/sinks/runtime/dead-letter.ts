/** Runs on: a sink worker. */
import { asTributaryError, type TributaryError } from '../../errors.js';
import type { LogBackend } from '../../log/backend.js';
import type { ConsumedRecord, ProducerRecord } from '../../log/types.js';

export type DeadLetterLog = Pick<LogBackend, 'createTopic' | 'produce'>;

/** Headers a dead-lettered record carries besides its own, so an operator can see why and replay it. */
export const DLQ_HEADERS = {
  code: 'dlq.error.code',
  message: 'dlq.error.message',
  status: 'dlq.error.status',
  pipeline: 'dlq.pipeline',
  topic: 'dlq.original.topic',
  partition: 'dlq.original.partition',
  offset: 'dlq.original.offset',
} as const;

const MAX_RECORDS_PER_BATCH = 500;

/** The group's dead-letter topic: records a sink rejected for good, as they were, with the error in headers. */
export class DeadLetterTopic {
  private created = false;

  constructor(
    private readonly log: DeadLetterLog,
    readonly topic: string,
    private readonly pipeline: string,
  ) {}

  /**
   * Writes the records with the error in headers. Resolves with how many were written without
   * those headers, as they were read, because with them they were over the log's record limit.
   */
  async send(records: readonly ConsumedRecord[], error: TributaryError): Promise<number> {
    if (!this.created) {
      await this.log.createTopic({ name: this.topic, partitions: 1 }, { ifNotExists: true });
      this.created = true;
    }
    const status = error.details?.status;
    const errorHeaders = [
      { key: DLQ_HEADERS.code, value: error.code },
      { key: DLQ_HEADERS.message, value: error.message },
      ...(status === undefined ? [] : [{ key: DLQ_HEADERS.status, value: String(status) }]),
      { key: DLQ_HEADERS.pipeline, value: this.pipeline },
    ];
    const out: ProducerRecord[] = records.map((r) => ({
      key: r.key,
      value: r.value,
      timestamp: r.timestamp,
      headers: [
        ...r.headers,
        ...errorHeaders,
        { key: DLQ_HEADERS.topic, value: r.topic },
        { key: DLQ_HEADERS.partition, value: String(r.partition) },
        { key: DLQ_HEADERS.offset, value: String(r.offset) },
      ],
    }));
    let bare = 0;
    for (let i = 0; i < out.length; i += MAX_RECORDS_PER_BATCH) {
      const chunk = out.slice(i, i + MAX_RECORDS_PER_BATCH);
      try {
        await this.log.produce(this.topic, 0, chunk);
      } catch (err) {
        // Refused for good (over log.max_record_bytes with the headers added): one record at a time.
        if (asTributaryError(err).retriable) throw err;
        for (const [j, record] of chunk.entries()) bare += await this.sendOne(record, records[i + j]!);
      }
    }
    return bare;
  }

  /** One record with the error headers or, when they do not fit beside it, as it was read (it fitted then); 1 in that case. */
  private async sendOne(record: ProducerRecord, original: ConsumedRecord): Promise<number> {
    try {
      await this.log.produce(this.topic, 0, [record]);
      return 0;
    } catch (err) {
      if (asTributaryError(err).retriable) throw err;
      await this.log.produce(this.topic, 0, [{ key: original.key, value: original.value, timestamp: original.timestamp, headers: original.headers }]);
      return 1;
    }
  }
}
