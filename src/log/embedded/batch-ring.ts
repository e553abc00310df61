// Runs on: main thread and broker threads (both ends of the protocol).
/**
 * Batch bytes between the main thread and one broker thread without an allocation or a transfer
 * per batch (pino's thread-stream pattern): produce() copies each encoded batch into a
 * SharedArrayBuffer ring in one go, the produce request names the slice, and the broker writes
 * the slice to its segment file from there. The broker counts the ring batches it is done with in a shared Int32 (batches are
 * handled in the order they were posted), so freeing space needs no message.
 *
 * A batch that does not fit in the free space goes the old way (its own buffer, transferred):
 * a slow broker or a huge batch never blocks the producer.
 */

/** Shared memory of one ring, handed to the broker thread in its workerData. */
export interface BatchRingMemory {
  data: SharedArrayBuffer;
  /** Int32 [0]: ring batches the broker has finished with (wraps around at 2^32). */
  control: SharedArrayBuffer;
}

/** Where a produce request's batch lies in the broker's ring. */
export interface RingSlice {
  ring: true;
  byteOffset: number;
  length: number;
}

/** 4 MiB per broker: several 1000-record batches of 460 bytes in flight at once. */
const DEFAULT_RING_BYTES = 4 * 1024 * 1024;

/** The main thread's side: allocates slices in order and reclaims those the broker finished. */
export class BatchRingWriter {
  readonly memory: BatchRingMemory;
  private readonly bytes: Buffer;
  private readonly finished: Int32Array;
  /** Slices posted and not yet finished, oldest first: [start, end) pairs. */
  private readonly starts: number[] = [];
  private readonly ends: number[] = [];
  private released = 0;

  constructor(capacity = DEFAULT_RING_BYTES) {
    this.memory = { data: new SharedArrayBuffer(capacity), control: new SharedArrayBuffer(4) };
    this.bytes = Buffer.from(this.memory.data);
    this.finished = new Int32Array(this.memory.control);
  }

  /**
   * `size` bytes of the ring, or undefined when they do not fit now. Every slice handed out must
   * be posted to the broker (it frees slices by count, in order).
   */
  allocate(size: number): Buffer | undefined {
    this.reclaim();
    const start = this.placement(size);
    if (start === undefined) return undefined;
    this.starts.push(start);
    this.ends.push(start + size);
    return this.bytes.subarray(start, start + size);
  }

  /** The slice a buffer from allocate() is, or undefined for any other buffer. */
  sliceOf(batch: Buffer): RingSlice | undefined {
    if (batch.buffer !== this.memory.data) return undefined;
    return { ring: true, byteOffset: batch.byteOffset, length: batch.length };
  }

  private placement(size: number): number | undefined {
    const capacity = this.bytes.length;
    const n = this.starts.length;
    if (n === 0) return size <= capacity ? 0 : undefined;
    const oldest = this.starts[0];
    const head = this.ends[n - 1];
    const wrapped = this.starts[n - 1] < oldest;
    if (wrapped) return head + size <= oldest ? head : undefined;
    if (head + size <= capacity) return head;
    return size <= oldest ? 0 : undefined;
  }

  private reclaim(): void {
    const finished = Atomics.load(this.finished, 0);
    const count = (finished - this.released) | 0;
    if (count <= 0) return;
    this.starts.splice(0, count);
    this.ends.splice(0, count);
    this.released = finished;
  }
}

/** The broker's side: views of ring slices, and the count of those it is done with. */
export class BatchRingReader {
  private readonly bytes: Buffer;
  private readonly finished: Int32Array;

  constructor(memory: BatchRingMemory) {
    this.bytes = Buffer.from(memory.data);
    this.finished = new Int32Array(memory.control);
  }

  view(slice: RingSlice): Buffer {
    return this.bytes.subarray(slice.byteOffset, slice.byteOffset + slice.length);
  }

  /** The slice's bytes are no longer needed (written to the segment file, or refused). */
  finish(): void {
    Atomics.add(this.finished, 0, 1);
  }
}
