/**
 * Runs on: main thread.
 *
 * Memory for the Kafka listener's request frames, reused. A producer sends frames of up to a
 * megabyte; a fresh buffer for each is external memory V8 counts towards its next full garbage
 * collection (about one per 15 MB read, most of the listener's CPU per record). A frame whose
 * bytes are no longer referenced (a concurrent Produce has copied its batches into the broker's
 * ring as it started) is given back and serves a later frame. Frames below Node's own pool size
 * come from that pool; a frame never given back is collected as any buffer is.
 *
 * Buffers come in power-of-two sizes, so that a frame of any size reuses one of a frame a little
 * longer; the buffers kept free are bounded in bytes, whatever the connections.
 */

/** Below this, Buffer.allocUnsafe slices Node's shared 8 KiB pool: nothing to win. */
const SMALLEST_POOLED = Buffer.poolSize >>> 1;

export class FramePool {
  /** Free buffers by size. */
  private readonly free = new Map<number, ArrayBuffer[]>();
  private freeBytes = 0;
  /** Buffers handed out and not given back; one given back twice, or never lent, is ignored. */
  private readonly lent = new WeakSet<ArrayBufferLike>();

  constructor(private readonly maxFreeBytes: number) {}

  /** `size` bytes for a frame, their content undefined. */
  take(size: number): Buffer {
    if (size < SMALLEST_POOLED) return Buffer.allocUnsafe(size);
    const capacity = 2 ** Math.ceil(Math.log2(size));
    const reused = this.free.get(capacity)?.pop();
    if (reused) this.freeBytes -= capacity;
    // Not zero-filled: every byte is written before the frame is read.
    const memory = reused ?? Buffer.allocUnsafeSlow(capacity).buffer;
    this.lent.add(memory);
    return Buffer.from(memory, 0, size);
  }

  /** Takes back a frame from take() that nothing references any more. */
  give(frame: Buffer): void {
    const memory = frame.buffer;
    if (!this.lent.has(memory)) return;
    this.lent.delete(memory);
    if (this.freeBytes + memory.byteLength > this.maxFreeBytes) return;
    let list = this.free.get(memory.byteLength);
    if (!list) {
      list = [];
      this.free.set(memory.byteLength, list);
    }
    list.push(memory as ArrayBuffer);
    this.freeBytes += memory.byteLength;
  }
}
