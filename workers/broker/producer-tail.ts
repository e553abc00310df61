/**
 * Runs on: broker thread.
 *
 * Idempotent producers' state read back from a partition's log after a restart: the producer
 * fields of the batch headers in the last `windowBytes` of the log, and for each producer its
 * last REMEMBERED_BATCHES batches. The Kafka listener replays them, in log order, into its
 * sequence state (src/kafka/producer-sequences.ts). Only headers are read, through one window.
 */
import { BATCH_HEADER_SIZE, LOG_OVERHEAD, readBatchHeader } from '../../src/log/record-batch.js';
import { batchProducer, REMEMBERED_BATCHES, type StoredProducerBatch } from '../../src/log/batch-producer.js';
import type { PartitionLog } from './partition-log.js';

const READ_WINDOW = 64 * 1024;

/** At most `maxProducers` producers, those seen last; their batches sorted by offset. */
export function producerTail(log: PartitionLog, windowBytes: number, maxProducers: number): StoredProducerBatch[] {
  // Insertion order is the order producers were last seen in: the first is evicted first.
  const producers = new Map<number, StoredProducerBatch[]>();
  for (const { segment, position } of log.tail(windowBytes)) {
    let window: Buffer = Buffer.alloc(0);
    let windowStart = position;
    // Batches in the log were checked when appended or recovered: their lengths are sound.
    for (let pos = position; pos + BATCH_HEADER_SIZE <= segment.size; ) {
      if (pos + BATCH_HEADER_SIZE > windowStart + window.length) {
        window = segment.read(pos, READ_WINDOW);
        windowStart = pos;
      }
      const at = pos - windowStart;
      const header = readBatchHeader(window, at)!;
      const producer = batchProducer(window, at);
      if (producer) remember(producers, { ...producer, baseOffset: header.baseOffset }, maxProducers);
      pos += LOG_OVERHEAD + header.batchLength;
    }
  }
  return [...producers.values()].flat().sort((a, b) => a.baseOffset - b.baseOffset);
}

function remember(producers: Map<number, StoredProducerBatch[]>, batch: StoredProducerBatch, maxProducers: number): void {
  const batches = producers.get(batch.producerId) ?? [];
  producers.delete(batch.producerId);
  batches.push(batch);
  if (batches.length > REMEMBERED_BATCHES) batches.shift();
  producers.set(batch.producerId, batches);
  if (producers.size > maxProducers) producers.delete(producers.keys().next().value!);
}
