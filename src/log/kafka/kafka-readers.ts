/**
 * Runs on: main thread. The log's stateless fetch(topic, partition, offset) over Kafka, for the
 * admin API, `tributary tail` and tools: a few librdkafka consumers outside any group, each
 * assigned to the partition and offset asked for. A reader that stopped where the next fetch
 * starts is reused as it is, so paging through a partition costs no re-assign.
 */
import { TributaryError } from '../../errors.js';
import type { ConsumedRecord, FetchRequest, FetchResult } from '../types.js';
import type { Config, KafkaClientModule, KafkaConsumer, Message, Producer } from './client-types.js';
import type { KafkaErrors } from './kafka-errors.js';
import { consumedBytes, toConsumedRecord } from './message-records.js';

const DEFAULT_MAX_BYTES = 1024 ** 2;
/** How long a fetch of records known to exist may wait for the broker's answer. */
const FETCH_TIMEOUT_MS = 10_000;
const MAX_READERS = 4;
const CONSUME_COUNT = 1000;

interface Reader {
  consumer: KafkaConsumer;
  /** Where the reader stands: the next offset its queue will deliver. */
  topic?: string;
  partition?: number;
  next?: number;
  /** Records consumed past the last fetch's budget, served first by the next fetch there. */
  leftover: ConsumedRecord[];
  busy: boolean;
}

export class KafkaReaders {
  private readonly readers: Reader[] = [];
  private readonly waiting: ((reader: Reader) => void)[] = [];
  private closed = false;

  constructor(
    private readonly client: KafkaClientModule,
    private readonly connection: Config,
    private readonly errors: KafkaErrors,
    /** A connected client for offset queries, which need no assignment. */
    private readonly queries: Producer,
  ) {}

  /** Watermarks of a partition, asked of its leader (through the producer's connections). */
  watermarks(topic: string, partition: number): Promise<{ low: number; high: number }> {
    return new Promise((resolve, reject) =>
      this.queries.queryWatermarkOffsets(topic, partition, FETCH_TIMEOUT_MS, (err, w) =>
        err ? reject(this.errors.wrap(err, `offsets of ${topic}[${partition}]`)) : resolve({ low: w.lowOffset, high: w.highOffset }),
      ),
    );
  }

  /**
   * Kafka's ListOffsets by timestamp: the first offset at or after it, or -1 when there is none.
   * Asked through a reader: the client offers it on consumers only.
   */
  async offsetForTimestamp(topic: string, partition: number, timestamp: number): Promise<number> {
    const reader = await this.acquire();
    try {
      return await new Promise((resolve, reject) =>
        reader.consumer.offsetsForTimes([{ topic, partition, offset: timestamp }], FETCH_TIMEOUT_MS, (err, offsets) =>
          err ? reject(this.errors.wrap(err, `offset for a timestamp in ${topic}[${partition}]`)) : resolve(offsets[0]?.offset ?? -1),
        ),
      );
    } finally {
      this.release(reader);
    }
  }

  async fetch(request: FetchRequest): Promise<FetchResult> {
    const { topic, partition, offset } = request;
    const { low, high } = await this.watermarks(topic, partition);
    if (offset < low || offset > high) {
      throw new TributaryError('OFFSET_OUT_OF_RANGE', `offset ${offset} of ${topic}[${partition}] is out of range: the log holds ${low} to ${high}`, {
        details: { logStartOffset: low, highWatermark: high },
      });
    }
    const maxWaitMs = request.maxWaitMs ?? 0;
    if (offset === high && maxWaitMs === 0) return { records: [], highWatermark: high, logStartOffset: low, nextOffset: offset };
    const reader = await this.acquire({ topic, partition, offset });
    try {
      const records = await this.read(reader, topic, partition, offset, offset < high ? FETCH_TIMEOUT_MS : maxWaitMs, request.maxBytes ?? DEFAULT_MAX_BYTES);
      const nextOffset = records.length ? records[records.length - 1].offset + 1 : offset;
      return { records, highWatermark: Math.max(high, nextOffset), logStartOffset: low, nextOffset };
    } finally {
      this.release(reader);
    }
  }

  private async read(reader: Reader, topic: string, partition: number, offset: number, timeoutMs: number, maxBytes: number): Promise<ConsumedRecord[]> {
    if (reader.topic !== topic || reader.partition !== partition || reader.next !== offset) {
      reader.consumer.assign([{ topic, partition, offset }]);
      Object.assign(reader, { topic, partition, next: offset, leftover: [] });
    }
    if (reader.leftover.length === 0) {
      reader.consumer.setDefaultConsumeTimeout(timeoutMs);
      const messages = await new Promise<Message[]>((resolve, reject) =>
        reader.consumer.consume(CONSUME_COUNT, (err, ms) => (err ? reject(this.errors.wrap(err, `fetch ${topic}[${partition}]`)) : resolve(ms))),
      );
      reader.leftover = messages.filter((m) => m.offset >= offset).map(toConsumedRecord);
    }
    // At least one record, then as many as fit the budget; the rest wait for the next fetch here.
    let bytes = 0;
    let n = 0;
    while (n < reader.leftover.length && (n === 0 || bytes + consumedBytes(reader.leftover[n]) <= maxBytes)) bytes += consumedBytes(reader.leftover[n++]);
    const records = reader.leftover.splice(0, n);
    if (records.length) reader.next = records[records.length - 1].offset + 1;
    return records;
  }

  /** An idle reader: for a fetch (`at`), preferably one that stands there; for a query, any. */
  private async acquire(at?: { topic: string; partition: number; offset: number }): Promise<Reader> {
    if (this.closed) throw new TributaryError('SHUTTING_DOWN', 'the Kafka backend is shutting down', { retriable: true });
    const idle = this.readers.filter((r) => !r.busy);
    let reader = at && idle.find((r) => r.topic === at.topic && r.partition === at.partition && r.next === at.offset);
    // Re-assigning costs a round trip and drops what the reader fetched ahead: open another first.
    if (!reader && (at || idle.length === 0) && this.readers.length < MAX_READERS) reader = await this.open();
    reader ??= idle[0];
    if (!reader) reader = await new Promise<Reader>((resolve) => this.waiting.push(resolve));
    reader.busy = true;
    return reader;
  }

  private release(reader: Reader): void {
    reader.busy = false;
    const next = this.waiting.shift();
    if (next) {
      reader.busy = true;
      next(reader);
    }
  }

  private async open(): Promise<Reader> {
    const consumer = new this.client.KafkaConsumer(
      {
        ...this.connection,
        // The client insists on a group id; these consumers never join or commit to it.
        'group.id': `${String(this.connection['client.id'])}-reader`,
        'enable.auto.commit': false,
        'enable.auto.offset.store': false,
        'fetch.wait.max.ms': 100,
        'allow.auto.create.topics': false,
      },
      {},
    );
    await new Promise<void>((resolve, reject) => consumer.connect({}, (err) => (err ? reject(this.errors.wrap(err, 'connect a reader to Kafka')) : resolve())));
    consumer.setDefaultIsTimeoutOnlyForFirstMessage(true);
    const reader: Reader = { consumer, leftover: [], busy: false };
    this.readers.push(reader);
    return reader;
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.readers.splice(0).map((r) => new Promise<void>((resolve) => r.consumer.disconnect(() => resolve()))));
  }
}
