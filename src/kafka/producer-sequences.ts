/**
 * Runs on: main thread.
 *
 * Idempotent producers (KIP-98): a batch carries its producer id, epoch and first sequence
 * number; per producer and partition the next batch must start right after the last one stored.
 * A batch sent again after a lost response (the same sequences as one of the last five stored)
 * is answered with that batch's offset and not stored twice; a gap is OUT_OF_ORDER_SEQUENCE_NUMBER.
 * Kept in memory and bounded: after a restart it is rebuilt from the log's tail
 * (producer-state-recovery.ts); once a producer was evicted, its next batch starts the count again.
 */
import { type BatchProducer, MAX_SEQUENCE, REMEMBERED_BATCHES } from '../log/batch-producer.js';

const OUT_OF_ORDER_SEQUENCE_NUMBER = 45;
const INVALID_PRODUCER_EPOCH = 47;

interface StoredBatch {
  firstSeq: number;
  lastSeq: number;
  baseOffset: number;
}

interface ProducerPartition {
  epoch: number;
  lastSeq: number;
  recent: StoredBatch[];
}

export type SequenceCheck = { kind: 'append' } | { kind: 'duplicate'; baseOffset: number } | { kind: 'refused'; errorCode: number; message: string };

export class ProducerSequences {
  /** Insertion order is use order: the least recently used entry is evicted first. */
  private readonly states = new Map<string, ProducerPartition>();

  constructor(private readonly maxEntries = 100_000) {}

  check(topic: string, partition: number, p: BatchProducer): SequenceCheck {
    const state = this.states.get(keyOf(topic, partition, p.producerId));
    if (!state) return { kind: 'append' };
    if (p.epoch < state.epoch) {
      return { kind: 'refused', errorCode: INVALID_PRODUCER_EPOCH, message: `producer epoch ${p.epoch} is older than ${state.epoch}` };
    }
    if (p.epoch > state.epoch) {
      return p.firstSeq === 0
        ? { kind: 'append' }
        : { kind: 'refused', errorCode: OUT_OF_ORDER_SEQUENCE_NUMBER, message: `a new producer epoch must start at sequence 0, not ${p.firstSeq}` };
    }
    const earlier = state.recent.find((b) => b.firstSeq === p.firstSeq && b.lastSeq === p.lastSeq);
    if (earlier) return { kind: 'duplicate', baseOffset: earlier.baseOffset };
    const expected = state.lastSeq === MAX_SEQUENCE ? 0 : state.lastSeq + 1;
    if (p.firstSeq !== expected) {
      return { kind: 'refused', errorCode: OUT_OF_ORDER_SEQUENCE_NUMBER, message: `sequence ${p.firstSeq} where ${expected} was expected` };
    }
    return { kind: 'append' };
  }

  /** Forgets the producers of a deleted topic: one created again under its name starts with none. */
  forgetTopic(topic: string): void {
    const prefix = `${topic}\u0000`;
    for (const key of this.states.keys()) if (key.startsWith(prefix)) this.states.delete(key);
  }

  /** Notes a batch the log stored. */
  stored(topic: string, partition: number, p: BatchProducer, baseOffset: number): void {
    const key = keyOf(topic, partition, p.producerId);
    const previous = this.states.get(key);
    const recent = previous && previous.epoch === p.epoch ? previous.recent.slice(1 - REMEMBERED_BATCHES) : [];
    recent.push({ firstSeq: p.firstSeq, lastSeq: p.lastSeq, baseOffset });
    this.states.delete(key);
    this.states.set(key, { epoch: p.epoch, lastSeq: p.lastSeq, recent });
    if (this.states.size > this.maxEntries) this.states.delete(this.states.keys().next().value!);
  }
}

const keyOf = (topic: string, partition: number, producerId: number) => `${topic}\u0000${partition}\u0000${producerId}`;
