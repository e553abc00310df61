/**
 * Runs on: main thread. One librdkafka producer for the whole process, with acks=all and
 * idempotence (no duplicates or reordering from its own retries): a call resolves only once Kafka
 * acknowledged every record of it, with the offset of the first.
 */
import { TributaryError } from '../../errors.js';
import type { ProducerRecord } from '../types.js';
import type { Config, DeliveryReport, KafkaClientModule, LibrdKafkaError, MessageHeader, Producer } from './client-types.js';
import type { Logger } from '../../telemetry/logger.js';
import type { KafkaErrors } from './kafka-errors.js';

/** One produce call waiting for its records' delivery reports. */
interface Pending {
  remaining: number;
  /** Answered already (failed by `failPending`): its delivery reports are ignored. */
  settled?: boolean;
  baseOffset: number;
  error?: unknown;
  resolve: (baseOffset: number) => void;
  reject: (err: unknown) => void;
}

/** Bytes a record takes on the wire besides its key, value and headers (Kafka's record framing). */
const RECORD_OVERHEAD = 32;

/**
 * A zero-length key or value the client sends as empty, not as null. The client's native part
 * takes a Buffer without a data pointer for null, and on Node 20 a Buffer over a zero-length
 * ArrayBuffer (`Buffer.alloc(0)`) has none (on Node 22 and 24 it has); a zero-length view into a
 * non-empty ArrayBuffer has one on every version. Nothing can be written into it.
 */
const EMPTY_BYTES = Buffer.alloc(1).subarray(0, 0);

/** The bytes as the Buffer the client takes, without a copy. */
function bufferFor(bytes: Uint8Array): Buffer {
  return bytes.byteLength === 0 ? EMPTY_BYTES : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export function recordBytes(record: ProducerRecord): number {
  let n = RECORD_OVERHEAD + (record.key?.length ?? 0) + (record.value?.length ?? 0);
  for (const h of record.headers ?? []) n += h.key.length + (typeof h.value === 'string' ? Buffer.byteLength(h.value) : h.value.length);
  return n;
}

export class KafkaProducer {
  /**
   * The first producer. It also serves the metadata, watermark and admin requests of whoever
   * holds `client`, which librdkafka goes on answering after the producer's produce failed fatally.
   */
  private readonly first: Producer;
  /** The producer records go through: the first, until a fatal error has another take over. */
  private current: Producer;
  /** The producer taking over from one that failed fatally, while it connects. */
  private replacing: Promise<void> | undefined;
  /** How `connect` was asked to connect, for the producers that take over. */
  private connectWith: { timeoutMs: number; where: { brokers: string[]; keys: string } } | undefined;
  /** Calls waiting for acknowledgements, for `failPending`. */
  private readonly pending = new Set<Pending>();

  constructor(
    private readonly client_: KafkaClientModule,
    private readonly config: Config,
    private readonly errors: KafkaErrors,
    private readonly options: { produceTimeoutMs: number; maxRecordBytes: number; onError: (err: LibrdKafkaError) => void; logger?: Logger },
  ) {
    this.first = this.create();
    this.current = this.first;
  }

  private create(): Producer {
    const producer = new this.client_.Producer({
      ...this.config,
      acks: -1,
      'enable.idempotence': true,
      'linger.ms': 5,
      'message.timeout.ms': this.options.produceTimeoutMs,
      // Room for one record of max_record_bytes in a request; the brokers' own limit still applies.
      'message.max.bytes': Math.min(this.options.maxRecordBytes + 64 * 1024, 1_000_000_000),
      'allow.auto.create.topics': false,
      dr_cb: true,
    });
    producer.on('delivery-report', ((err: LibrdKafkaError | null, report: DeliveryReport) => this.delivered(err, report)) as never);
    // librdkafka's own view of the cluster (all brokers down, authentication failed, ...).
    producer.on('event.error', this.options.onError as never);
    return producer;
  }

  get client(): Producer {
    return this.first;
  }

  /**
   * `keys` names the settings to check when the brokers refuse the connection. librdkafka's
   * connect error says only "broker transport failure"; why (a SASL or TLS failure) is in its log.
   */
  async connect(timeoutMs: number, where: { brokers: string[]; keys: string }): Promise<void> {
    this.connectWith = { timeoutMs, where };
    await this.connectProducer(this.first, timeoutMs, where);
  }

  private async connectProducer(producer: Producer, timeoutMs: number, where: { brokers: string[]; keys: string }): Promise<void> {
    let failure: string | undefined;
    const onLog = (log: { severity: number; message: string }) => {
      // Errors and worse; the message after librdkafka's "[thrd:...]: " prefix.
      if (log.severity <= 3) failure = log.message.replace(/^\[thrd:[^\]]*\]: /, '');
    };
    producer.on('event.log', onLog as never);
    try {
      await new Promise<void>((resolve, reject) => {
        producer.connect({ timeout: timeoutMs }, (err) => {
          if (!err) return resolve();
          const error = this.errors.wrap(err, `connect to Kafka at ${where.brokers.join(', ')}`);
          error.message += `${failure ? ` (librdkafka: ${failure})` : ''}; check ${where.keys}`;
          reject(error);
        });
      });
    } finally {
      producer.removeListener('event.log', onLog as never);
    }
    producer.setPollInBackground(true);
  }

  /** Enqueues the records in order; resolves with the first one's offset once all were acknowledged. */
  async produce(topic: string, partition: number, records: ProducerRecord[], waitForAcks: boolean): Promise<number> {
    if (records.length === 0) return -1;
    if (this.replacing) await this.replacing;
    let enqueued = this.enqueue(topic, partition, records, waitForAcks);
    if ('fatal' in enqueued) {
      // A producer that failed fatally refuses every record before sending it: none of this call
      // was enqueued, so it goes to the producer that takes over, once.
      await this.replace(enqueued.fatal);
      enqueued = this.enqueue(topic, partition, records, waitForAcks);
      if ('fatal' in enqueued) throw this.errors.wrap(enqueued.fatal, `produce to ${topic}[${partition}]`);
    }
    return enqueued;
  }

  /** The call's promise, or librdkafka's error when a producer that failed fatally refused its first record. */
  private enqueue(topic: string, partition: number, records: ProducerRecord[], waitForAcks: boolean): Promise<number> | { fatal: unknown } {
    const producer = this.current;
    let refused: { fatal: unknown } | undefined;
    const call = new Promise<number>((resolve, reject) => {
      const pending: Pending = {
        remaining: records.length,
        baseOffset: Number.MAX_SAFE_INTEGER,
        resolve: (offset) => {
          this.pending.delete(pending);
          resolve(offset);
        },
        reject: (err) => {
          this.pending.delete(pending);
          reject(err);
        },
      };
      if (waitForAcks) this.pending.add(pending);
      let enqueued = 0;
      try {
        for (const record of records) {
          producer.produce(
            topic,
            partition,
            record.value === null ? null : bufferFor(record.value),
            record.key ? bufferFor(record.key) : null,
            record.timestamp ?? Date.now(),
            waitForAcks ? pending : undefined,
            headersOf(record),
          );
          enqueued++;
        }
      } catch (err) {
        const fatal = this.errors.is(err, 'ERR__FATAL');
        if (fatal && enqueued === 0) {
          this.pending.delete(pending);
          refused = { fatal: err };
          return;
        }
        // Records already enqueued are still delivered; the caller retries the whole call (at least once).
        if (fatal) void this.replace(err).catch(() => {});
        pending.remaining -= records.length - enqueued;
        pending.error = this.errors.wrap(err, `produce to ${topic}[${partition}]`);
        if (!waitForAcks || pending.remaining === 0) pending.reject(pending.error);
        return;
      }
      if (!waitForAcks) resolve(-1);
    });
    return refused ?? call;
  }

  /**
   * A new producer takes over from one that failed fatally (librdkafka's idempotent producer does
   * when a broker refuses its sequence numbers, and then refuses every record for good). The
   * calls still waiting on the failed one fail at once: their records may have been stored, so a
   * caller that retries may store them twice (at least once).
   */
  private replace(cause: unknown): Promise<void> {
    this.replacing ??= (async () => {
      const failed = this.current;
      const error = this.errors.wrap(cause, 'the Kafka producer failed');
      this.options.logger?.warn('the Kafka producer failed fatally; a new one takes over', { error });
      this.failPending(error);
      const next = this.create();
      try {
        const { timeoutMs, where } = this.connectWith ?? { timeoutMs: 10_000, where: { brokers: [], keys: 'the Kafka settings' } };
        await this.connectProducer(next, timeoutMs, where);
      } catch (err) {
        // Not connected (the cluster away): the next call that meets the failed producer tries again.
        next.disconnect(() => undefined);
        throw err;
      }
      this.current = next;
      // The first stays connected for the metadata and admin requests it serves.
      if (failed !== this.first) failed.disconnect(() => undefined);
    })().finally(() => {
      this.replacing = undefined;
    });
    return this.replacing;
  }

  private delivered(err: LibrdKafkaError | null, report: DeliveryReport): void {
    const pending = report.opaque as Pending | undefined;
    if (!pending || pending.settled) return;
    if (err) pending.error ??= this.errors.wrap(err, `produce to ${report.topic}[${report.partition}]`);
    else pending.baseOffset = Math.min(pending.baseOffset, report.offset);
    if (--pending.remaining > 0) return;
    if (pending.error) pending.reject(pending.error);
    else pending.resolve(pending.baseOffset);
  }

  /**
   * Fails every call still waiting with `error`, at once: their records stay queued in librdkafka
   * and may still be stored, so a caller that retries may store them twice (at least once).
   */
  failPending(error: unknown): void {
    for (const pending of [...this.pending]) {
      pending.settled = true;
      pending.reject(error);
    }
  }

  /** Waits for every enqueued record (up to `timeoutMs`), then disconnects. */
  async close(timeoutMs: number): Promise<void> {
    await this.replacing?.catch(() => undefined);
    const producers = this.current === this.first ? [this.first] : [this.current, this.first];
    const results = await Promise.allSettled(producers.filter((p) => p.isConnected()).map((p) => this.closeProducer(p, timeoutMs)));
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
  }

  private async closeProducer(producer: Producer, timeoutMs: number): Promise<void> {
    try {
      await new Promise<void>((resolve, reject) => producer.flush(timeoutMs, (err) => (err ? reject(err) : resolve())));
    } finally {
      await new Promise<void>((resolve) => producer.disconnect(() => resolve()));
    }
  }
}

function headersOf(record: ProducerRecord): MessageHeader[] | undefined {
  if (!record.headers?.length) return undefined;
  return record.headers.map((h) => ({ [h.key]: typeof h.value === 'string' ? h.value : Buffer.from(h.value.buffer, h.value.byteOffset, h.value.byteLength) }));
}

export function recordTooLarge(topic: string, size: number, limit: number): TributaryError {
  return new TributaryError('RECORD_TOO_LARGE', `a record of ${size} bytes for ${topic} is over log.max_record_bytes (${limit})`);
}
