/**
 * Runs on: main thread and broker threads.
 *
 * The producer fields of a record batch v2 header (KIP-98): producer id, epoch and first
 * sequence; with the last offset delta they give the batch's last sequence. The Kafka listener
 * checks them on Produce, and a broker reads them back from a partition's tail after a restart.
 */
import { OFF_BASE_SEQUENCE, OFF_LAST_DELTA, OFF_PRODUCER_EPOCH, OFF_PRODUCER_ID } from './record-batch.js';

export const MAX_SEQUENCE = 0x7fffffff;
/** As Kafka: the batches a producer may have in flight, so the ones per partition it may send again. */
export const REMEMBERED_BATCHES = 5;

export interface BatchProducer {
  producerId: number;
  epoch: number;
  firstSeq: number;
  lastSeq: number;
}

/** A stored batch of an idempotent producer: its producer fields and where it lies. */
export interface StoredProducerBatch extends BatchProducer {
  baseOffset: number;
}

/** The producer fields of the batch at `pos`; undefined for a batch without a producer id. */
export function batchProducer(batch: Buffer, pos = 0): BatchProducer | undefined {
  const producerId = batch.readInt32BE(pos + OFF_PRODUCER_ID) * 0x100000000 + batch.readUInt32BE(pos + OFF_PRODUCER_ID + 4);
  if (producerId < 0) return undefined;
  const firstSeq = batch.readInt32BE(pos + OFF_BASE_SEQUENCE);
  const lastOffsetDelta = batch.readInt32BE(pos + OFF_LAST_DELTA);
  return { producerId, epoch: batch.readInt16BE(pos + OFF_PRODUCER_EPOCH), firstSeq, lastSeq: (firstSeq + lastOffsetDelta) % (MAX_SEQUENCE + 1) };
}
