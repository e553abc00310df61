/**
 * Runs on: main thread.
 *
 * Idempotent producers' sequence state rebuilt from the log after a restart, lazily: before the
 * first idempotent batch to a partition is checked, the partition's broker reads the producer
 * fields of the batch headers in the last TAIL_BYTES of its log (workers/broker/producer-tail.ts),
 * and they are replayed, in log order, into ProducerSequences as if just stored. So a batch
 * stored before the restart and sent again is answered with its offset, and the producer's next
 * sequence is expected.
 *
 * Why only a tail, as Kafka keeps producer state only for a window of time: a retry across a
 * restart is of the batches in flight when it happened (at most five per producer and partition),
 * and those are the last ones written, so they lie within the tail. A producer whose last batch
 * lies before it is unknown, and its next batch is accepted whatever its sequence (as Kafka does
 * for a producer whose state expired): nothing is refused that should not be.
 */
import type { EmbeddedBackend } from '../log/embedded/embedded-backend.js';
import type { ProducerSequences } from './producer-sequences.js';

/** Bytes read at the end of a partition: headers only, through a 64 KiB window, on its broker thread. */
const PRODUCER_TAIL_BYTES = 32 * 1024 * 1024;
/** The producers seen last in a partition's tail that are recovered, so the reply stays small. */
const MAX_PRODUCERS_PER_PARTITION = 10_000;

export class ProducerStateRecovery {
  /** Partitions recovered, or being recovered. */
  private readonly partitions = new Map<string, Promise<void> | 'done'>();

  constructor(
    private readonly log: Pick<EmbeddedBackend, 'producerTail'>,
    private readonly sequences: ProducerSequences,
  ) {}

  /** A deleted topic's partitions: one created again under its name is read afresh. */
  forgetTopic(topic: string): void {
    const prefix = `${topic}\u0000`;
    for (const key of this.partitions.keys()) if (key.startsWith(prefix)) this.partitions.delete(key);
  }

  /**
   * Resolves once the partition's producers are recovered; undefined when they are already. A
   * failed read (its broker restarting, say) rejects, and the next batch tries again.
   */
  ready(topic: string, partition: number): Promise<void> | undefined {
    const key = `${topic}\u0000${partition}`;
    const state = this.partitions.get(key);
    if (state === 'done') return undefined;
    if (state) return state;
    const recovering = this.log.producerTail(topic, partition, PRODUCER_TAIL_BYTES, MAX_PRODUCERS_PER_PARTITION).then(
      (batches) => {
        for (const batch of batches) this.sequences.stored(topic, partition, batch, batch.baseOffset);
        this.partitions.set(key, 'done');
      },
      (err: unknown) => {
        this.partitions.delete(key);
        throw err;
      },
    );
    this.partitions.set(key, recovering);
    return recovering;
  }
}
