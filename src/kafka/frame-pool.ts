/**
 * Runs on: main thread.
 *
 * Reusable memory for large Produce request frames. A producer such as kcat sends one frame of
 * about 1 MB per request; allocating each anew costs an ArrayBuffer per request, and V8 collects
 * garbage after every few tens of MB of them (about as much CPU as the rest of the produce path).
 * A frame is taken when its size prefix arrives and given back once its request is answered, by
 * when the log holds its own copy of the batches. Sizes are rounded up to a power of two, and
 * the memory kept idle is bounded; a frame the pool did not hand out is ignored on release.
 */

/** Frames smaller than this are allocated as usual: a small allocation costs little. */
const MIN_POOLED_BYTES = 64 * 1024;
/** Frames larger than this are allocated as usual: rare, and too large to keep idle. */
const MAX_POOLED_BYTES = 16 * 1024 * 1024;

export class FramePool {
  /** Idle buffers by size (a power of two). */
  private readonly idle = new Map<number, ArrayBuffer[]>();
  private idleBytes = 0;
  /** Buffers handed out and not yet given back; one a client never finished is simply collected. */
  private readonly out = new WeakSet<ArrayBuffer>();

  constructor(private readonly maxIdleBytes = 32 * 1024 * 1024) {}

  /** Whether frames of `size` bytes come from the pool. */
  pools(size: number): boolean {
    return size >= MIN_POOLED_BYTES && size <= MAX_POOLED_BYTES;
  }

  /** `size` bytes for a frame: from the pool when it pools that size, else newly allocated. */
  take(size: number): Buffer {
    if (!this.pools(size)) return Buffer.allocUnsafe(size);
    const capacity = 2 ** Math.ceil(Math.log2(size));
    let buffer = this.idle.get(capacity)?.pop();
    if (buffer) this.idleBytes -= capacity;
    else buffer = new ArrayBuffer(capacity);
    this.out.add(buffer);
    return Buffer.from(buffer, 0, size);
  }

  /** Gives back a frame from take() once nothing refers to its bytes; others are ignored. */
  release(frame: Buffer): void {
    const buffer = frame.buffer as ArrayBuffer;
    if (!this.out.delete(buffer)) return;
    if (this.idleBytes + buffer.byteLength > this.maxIdleBytes) return;
    const list = this.idle.get(buffer.byteLength) ?? [];
    this.idle.set(buffer.byteLength, list);
    list.push(buffer);
    this.idleBytes += buffer.byteLength;
  }
}
