// Runs on: main thread.
import { copyBytes } from '../../copy-bytes.js';
import { ScratchBuffer } from '../../scratch-buffer.js';
import { encodeRecordBatch } from '../record-batch.js';
import type { ProduceOptions, ProducerRecord, ProduceResult } from '../types.js';
import type { BrokerHandle } from './broker-handle.js';
import type { LogMetrics } from './log-metrics.js';
import { batchTooLarge, checkEncodedBatch, checkProducerRecords } from './validate.js';

type Counter = { inc(n: number): void };

/**
 * A batch whose memory its caller may give up (a Kafka Produce frame holding just this batch):
 * asked as the batch is sent, `take` returns where the memory goes once the broker wrote it, or
 * undefined to keep it (the batch is then copied as any other). Once taken, the batch's whole
 * ArrayBuffer is transferred to the broker: the caller must not touch it again.
 */
export interface BatchHandOver {
  take(): ((memory: ArrayBuffer) => void) | undefined;
}

/**
 * Batches from this size on are handed over rather than copied into the ring: the copy of a
 * megabyte was an eighth of the main thread's CPU per produced record; two transfers cost less.
 */
const HAND_OVER_MIN_BYTES = 256 * 1024;

/**
 * Appends to a partition's leader: records are encoded into a record batch here, a client's batch
 * is checked; either crosses to the broker thread through its shared ring
 * (src/log/embedded/batch-ring.ts), and the appends are counted per topic.
 */
export class LeaderAppends {
  /** Where records are encoded before one bulk copy into the broker's ring (src/scratch-buffer.ts). */
  private readonly scratch = new ScratchBuffer();
  private readonly topicCounters = new Map<string, { records: Counter; bytes: Counter }>();

  constructor(
    private readonly metrics: LogMetrics,
    private readonly maxBatchBytes: number,
  ) {}

  records(broker: BrokerHandle, topic: string, partition: number, records: ProducerRecord[], options: ProduceOptions): Promise<ProduceResult> {
    checkProducerRecords(records);
    // Encoded in ordinary memory first: one bulk copy into the ring beats a copy per record value.
    const encoded = encodeRecordBatch(records, {
      allocate: (size) => {
        if (size > this.maxBatchBytes) throw batchTooLarge(size, this.maxBatchBytes);
        return this.scratch.take(size);
      },
    });
    // Taken only now: every ring slice handed out must reach the broker.
    const batch = broker.allocateBatch(encoded.length);
    copyBytes(batch, encoded);
    return this.send(broker, topic, partition, batch, records.length, options.acks ?? 1, false);
  }

  batch(broker: BrokerHandle, topic: string, partition: number, batch: Uint8Array, options: ProduceOptions, handOver?: BatchHandOver): Promise<ProduceResult> {
    const acks = options.acks ?? 1;
    // The layout is checked here, so a malformed batch never takes a ring slice. The CRC is left
    // to the broker, off the main thread, unless nobody would hear of a mismatch (acks 0).
    const recordCount = checkEncodedBatch(batch, this.maxBatchBytes, acks === 0);
    const giveBack = acks !== 0 && batch.length >= HAND_OVER_MIN_BYTES && broker.state === 'running' ? handOver?.take() : undefined;
    if (giveBack) return this.handedOver(broker, topic, partition, batch, recordCount, giveBack);
    const copy = broker.allocateBatch(batch.length);
    copyBytes(copy, batch);
    return this.send(broker, topic, partition, copy, recordCount, acks, acks !== 0);
  }

  /** Transfers the batch's memory to the broker (CRC checked there), which transfers it back once written. */
  private async handedOver(broker: BrokerHandle, topic: string, partition: number, batch: Uint8Array, records: number, giveBack: (memory: ArrayBuffer) => void): Promise<ProduceResult> {
    const { length } = batch;
    const memory = batch.buffer as ArrayBuffer;
    const bytes = { buffer: memory, byteOffset: batch.byteOffset, length };
    const reply = await broker.request<'produce'>({ op: 'produce', topic, partition, batch: bytes, acks: 1, verifyCrc: true, handBack: true }, [memory], length);
    if (reply.memory) giveBack(reply.memory);
    const counters = this.countersFor(topic);
    counters.records.inc(records);
    counters.bytes.inc(length);
    return { topic, partition, baseOffset: reply.baseOffset };
  }

  /** Hands a batch from broker.allocateBatch() to the broker; it must be sent, or the ring stalls. */
  private async send(broker: BrokerHandle, topic: string, partition: number, batch: Buffer, records: number, acks: 0 | 1, verifyCrc: boolean): Promise<ProduceResult> {
    const { bytes, transfer } = broker.batchPayload(batch);
    const counters = this.countersFor(topic);
    if (acks === 0) {
      broker.send({ op: 'produce', topic, partition, batch: bytes, acks, verifyCrc }, transfer, batch.length);
      counters.records.inc(records);
      counters.bytes.inc(batch.length);
      return { topic, partition, baseOffset: -1 };
    }
    const reply = await broker.request<'produce'>({ op: 'produce', topic, partition, batch: bytes, acks, verifyCrc }, transfer, batch.length);
    counters.records.inc(records);
    counters.bytes.inc(batch.length);
    return { topic, partition, baseOffset: reply.baseOffset };
  }

  /** A deleted topic's counters are let go (LogMetrics.forgetTopic drops their series). */
  forget(topic: string): void {
    this.topicCounters.delete(topic);
  }

  private countersFor(topic: string) {
    let counters = this.topicCounters.get(topic);
    if (!counters) {
      counters = { records: this.metrics.appendRecords.labels(topic), bytes: this.metrics.appendBytes.labels(topic) };
      this.topicCounters.set(topic, counters);
    }
    return counters;
  }
}
