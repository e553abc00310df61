/** Runs on: a sink worker. */

/** Bodies kept for reuse at most; more exports at once than this allocate. */
const MAX_KEPT = 4;
/** The smallest body memory made: smaller bodies are cheap to allocate and sit in Node's pool. */
const MIN_BYTES = 64 * 1024;

/**
 * Memory for request bodies, reused from one export to the next. A fresh Buffer of a few MB per
 * batch is an ArrayBuffer V8 counts as external memory, and at tens of MB per second that alone
 * made the sink worker mark-compact every second or so; the page faults of fresh memory come on
 * top. A body is taken for one request and given back once nothing reads it (HttpPost.bodyDone).
 */
export class BodyBuffers {
  private readonly kept: ArrayBuffer[] = [];

  /** `size` bytes to write a body into. */
  take(size: number): Buffer {
    if (size < MIN_BYTES) return Buffer.allocUnsafe(size);
    const i = this.kept.findIndex((b) => b.byteLength >= size && b.byteLength <= size * 4);
    if (i >= 0) return Buffer.from(this.kept.splice(i, 1)[0], 0, size);
    // A power of two, so that the next batches, of about the same size, fit in it.
    return Buffer.from(new ArrayBuffer(2 ** Math.ceil(Math.log2(size))), 0, size);
  }

  /** A body taken here that nothing reads any more. */
  give(body: Buffer): void {
    const memory = body.buffer as ArrayBuffer;
    if (memory.byteLength < MIN_BYTES || this.kept.length >= MAX_KEPT || this.kept.includes(memory)) return;
    this.kept.push(memory);
  }
}
