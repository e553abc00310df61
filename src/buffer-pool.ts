/**
 * Runs on: any thread; each owner keeps its own pool (the Kafka listener on the main thread, an
 * otlphttp sink on its sink worker, each broker thread for the fetches it reads).
 *
 * Memory for large buffers that come and go at a steady pace (the Kafka listener's request
 * frames, an HTTP sink's request bodies), reused. A fresh buffer of a megabyte or more each time
 * is external memory V8 counts towards its next full garbage collection (about one per 15 MB
 * read, most of the listener's CPU per record; several a second in a sink worker posting bodies
 * of a few MB), and its pages fault in again. A buffer its owner no longer reads is given back
 * and serves a later one; a buffer never given back is collected as any buffer is.
 *
 * Buffers come in power-of-two sizes, so that a buffer of any size reuses one of a buffer a
 * little longer; the memory kept free is bounded in bytes.
 */

export interface BufferPoolOptions {
  /** Free memory kept for reuse, at most. */
  maxFreeBytes: number;
  /** Smaller buffers are plain Buffer.allocUnsafe (from Node's shared pool below 4 KiB): nothing to win. */
  minPooledBytes: number;
}

export class BufferPool {
  /** Free buffers by size. */
  private readonly free = new Map<number, ArrayBuffer[]>();
  private freeBytes = 0;
  /** Buffers handed out and not given back; one given back twice, or never lent, is ignored. */
  private readonly lent = new WeakSet<ArrayBufferLike>();

  constructor(private readonly options: BufferPoolOptions) {}

  /** `size` bytes, their content undefined. */
  take(size: number): Buffer {
    if (size < this.options.minPooledBytes) return Buffer.allocUnsafe(size);
    const capacity = 2 ** Math.ceil(Math.log2(size));
    const reused = this.free.get(capacity)?.pop();
    if (reused) this.freeBytes -= capacity;
    // Not zero-filled: the owner writes every byte before reading it.
    const memory = reused ?? Buffer.allocUnsafeSlow(capacity).buffer;
    this.lent.add(memory);
    return Buffer.from(memory, 0, size);
  }

  /** Takes back a buffer from take() that nothing references any more. */
  give(buffer: Buffer): void {
    const memory = buffer.buffer;
    if (!this.lent.has(memory)) return;
    this.lent.delete(memory);
    this.keep(memory as ArrayBuffer);
  }

  /**
   * The owner gives the memory of a buffer from take() away for good (transferred to another
   * thread): give() ignores it from now on; it may come back through adopt(). False when the
   * buffer was not lent (a view of other memory, or given back already).
   */
  forget(buffer: Uint8Array): boolean {
    return this.lent.delete(buffer.buffer);
  }

  /**
   * Takes back memory from take() that was transferred to another thread and back: it returns as
   * a new ArrayBuffer, unknown to `lent` (and a transfer leaves nothing behind to give twice).
   * Memory of a size take() never makes is left to the collector.
   */
  adopt(memory: ArrayBuffer): void {
    const size = memory.byteLength;
    if (size >= this.options.minPooledBytes && (size & (size - 1)) === 0) this.keep(memory);
  }

  private keep(memory: ArrayBuffer): void {
    if (this.freeBytes + memory.byteLength > this.options.maxFreeBytes) return;
    let list = this.free.get(memory.byteLength);
    if (!list) {
      list = [];
      this.free.set(memory.byteLength, list);
    }
    list.push(memory);
    this.freeBytes += memory.byteLength;
  }
}
