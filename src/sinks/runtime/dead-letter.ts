/** Runs on: a sink worker. */
import type { TributaryError } from '../../errors.js';
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

  async send(records: readonly ConsumedRecord[], error: TributaryError): Promise<void> {
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
    for (let i = 0; i < out.length; i += MAX_RECORDS_PER_BATCH) {
      await this.log.produce(this.topic, 0, out.slice(i, i + MAX_RECORDS_PER_BATCH));
    }
  }
}
