// Runs on: broker threads (writing) and the main thread (reading).
/**
 * A partition's log start offset and high watermark in shared memory: its broker thread stores
 * them as they change (each append, retention, the open after recovery), so the main thread
 * answers "earliest" and "latest" (Kafka's ListOffsets) without a round trip to that thread.
 * The high watermark is stored before the append is answered, so a producer that was answered
 * finds its records below it.
 */
export class SharedOffsets {
  private readonly values: BigInt64Array;

  constructor(readonly memory: SharedArrayBuffer = new SharedArrayBuffer(16)) {
    this.values = new BigInt64Array(memory);
  }

  /** Broker thread: the partition's offsets now. */
  store(logStartOffset: number, highWatermark: number): void {
    Atomics.store(this.values, 0, BigInt(logStartOffset));
    Atomics.store(this.values, 1, BigInt(highWatermark));
  }

  get logStartOffset(): number {
    return Number(Atomics.load(this.values, 0));
  }

  get highWatermark(): number {
    return Number(Atomics.load(this.values, 1));
  }
}
