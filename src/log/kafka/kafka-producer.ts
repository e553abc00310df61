/**
 * Runs on: main thread. One librdkafka producer for the whole process, with acks=all and
 * idempotence (no duplicates or reordering from its own retries): a call resolves only once Kafka
 * acknowledged every record of it, with the offset of the first.
 */
import { TributaryError } from '../../errors.js';
import type { ProducerRecord } from '../types.js';
import type { Config, DeliveryReport, KafkaClientModule, LibrdKafkaError, MessageHeader, Producer } from './client-types.js';
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
  private readonly producer: Producer;
  /** Calls waiting for acknowledgements, for `failPending`. */
  private readonly pending = new Set<Pending>();

  constructor(
    client: KafkaClientModule,
    connection: Config,
    private readonly errors: KafkaErrors,
    options: { produceTimeoutMs: number; maxRecordBytes: number; onError: (err: LibrdKafkaError) => void },
  ) {
    this.producer = new client.Producer({
      ...connection,
      acks: -1,
      'enable.idempotence': true,
      'linger.ms': 5,
      'message.timeout.ms': options.produceTimeoutMs,
      // Room for one record of max_record_bytes in a request; the brokers' own limit still applies.
      'message.max.bytes': Math.min(options.maxRecordBytes + 64 * 1024, 1_000_000_000),
      'allow.auto.create.topics': false,
      dr_cb: true,
    });
    this.producer.on('delivery-report', ((err: LibrdKafkaError | null, report: DeliveryReport) => this.delivered(err, report)) as never);
    // librdkafka's own view of the cluster (all brokers down, authentication failed, ...).
    this.producer.on('event.error', options.onError as never);
  }

  get client(): Producer {
    return this.producer;
  }

  /**
   * `keys` names the settings to check when the brokers refuse the connection. librdkafka's
   * connect error says only "broker transport failure"; why (a SASL or TLS failure) is in its log.
   */
  async connect(timeoutMs: number, where: { brokers: string[]; keys: string }): Promise<void> {
    let failure: string | undefined;
    const onLog = (log: { severity: number; message: string }) => {
      // Errors and worse; the message after librdkafka's "[thrd:...]: " prefix.
      if (log.severity <= 3) failure = log.message.replace(/^\[thrd:[^\]]*\]: /, '');
    };
    this.producer.on('event.log', onLog as never);
    try {
      await new Promise<void>((resolve, reject) => {
        this.producer.connect({ timeout: timeoutMs }, (err) => {
          if (!err) return resolve();
          const error = this.errors.wrap(err, `connect to Kafka at ${where.brokers.join(', ')}`);
          error.message += `${failure ? ` (librdkafka: ${failure})` : ''}; check ${where.keys}`;
          reject(error);
        });
      });
    } finally {
      this.producer.removeListener('event.log', onLog as never);
    }
    this.producer.setPollInBackground(true);
  }

  /** Enqueues the records in order; resolves with the first one's offset once all were acknowledged. */
  produce(topic: string, partition: number, records: ProducerRecord[], waitForAcks: boolean): Promise<number> {
    if (records.length === 0) return Promise.resolve(-1);
    return new Promise((resolve, reject) => {
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
          this.producer.produce(
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
        // Records already enqueued are still delivered; the caller retries the whole call (at least once).
        pending.remaining -= records.length - enqueued;
        pending.error = this.errors.wrap(err, `produce to ${topic}[${partition}]`);
        if (!waitForAcks || pending.remaining === 0) pending.reject(pending.error);
        return;
      }
      if (!waitForAcks) resolve(-1);
    });
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
    if (!this.producer.isConnected()) return;
    try {
      await new Promise<void>((resolve, reject) => this.producer.flush(timeoutMs, (err) => (err ? reject(err) : resolve())));
    } finally {
      await new Promise<void>((resolve) => this.producer.disconnect(() => resolve()));
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
