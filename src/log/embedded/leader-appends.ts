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

  batch(broker: BrokerHandle, topic: string, partition: number, batch: Uint8Array, options: ProduceOptions): Promise<ProduceResult> {
    const acks = options.acks ?? 1;
    // The layout is checked here, so a malformed batch never takes a ring slice. The CRC is left
    // to the broker, off the main thread, unless nobody would hear of a mismatch (acks 0).
    const recordCount = checkEncodedBatch(batch, this.maxBatchBytes, acks === 0);
    const copy = broker.allocateBatch(batch.length);
    copyBytes(copy, batch);
    return this.send(broker, topic, partition, copy, recordCount, acks, acks !== 0);
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

  private countersFor(topic: string) {
    let counters = this.topicCounters.get(topic);
    if (!counters) {
      counters = { records: this.metrics.appendRecords.labels(topic), bytes: this.metrics.appendBytes.labels(topic) };
      this.topicCounters.set(topic, counters);
    }
    return counters;
  }
}
