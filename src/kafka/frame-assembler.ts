/**
 * Runs on: main thread.
 *
 * Cuts a connection's byte stream into request frames (a 4-byte size, then that many bytes). A
 * frame that lies whole in one chunk is a view of it. A large Produce that spans chunks is copied
 * once into memory from the frame pool as its chunks arrive (the connection gives it back once
 * the request is answered); any other frame that spans chunks is joined once it is all there.
 */
import type { FramePool } from './frame-pool.js';

const PRODUCE_KEY = 0;
/** The size prefix and the API key: enough to choose where a frame is assembled. */
const HEAD_BYTES = 6;

export class FrameAssembler {
  /** Bytes after the last whole frame, before a frame being filled was started. */
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** A frame that spans chunks, and how many of its bytes arrived. */
  private filling: { frame: Buffer; filled: number } | undefined;

  constructor(
    private readonly maxFrameBytes: number,
    private readonly pool: FramePool,
  ) {}

  /**
   * Adds a chunk; appends each frame it completes to `frames` (without its size prefix).
   * Returns the size of a frame over the limit, after which the stream cannot be read on.
   */
  push(chunk: Buffer, frames: Buffer[]): number | undefined {
    let at = 0;
    if (this.filling) {
      const { frame, filled } = this.filling;
      const n = Math.min(frame.length - filled, chunk.length);
      chunk.copy(frame, filled, 0, n);
      at = n;
      if (filled + n < frame.length) {
        this.filling.filled += n;
        return undefined;
      }
      this.filling = undefined;
      frames.push(frame);
    }
    if (at < chunk.length) {
      this.pending.push(at === 0 ? chunk : chunk.subarray(at));
      this.pendingBytes += chunk.length - at;
    }
    while (this.pendingBytes >= 4) {
      const head = this.pending[0].length >= HEAD_BYTES || this.pending.length === 1 ? this.pending[0] : this.flatten();
      const size = head.readInt32BE(0);
      if (size < 0 || size > this.maxFrameBytes) return size;
      if (this.pendingBytes >= 4 + size) {
        const all = this.flatten();
        frames.push(all.subarray(4, 4 + size));
        this.pending = all.length > 4 + size ? [all.subarray(4 + size)] : [];
        this.pendingBytes = all.length - 4 - size;
        continue;
      }
      // A large Produce spans chunks: copied into pooled memory from here on, as its bytes arrive.
      if (this.pendingBytes < HEAD_BYTES || !this.pool.pools(size)) break;
      const all = this.flatten();
      if (all.readInt16BE(4) !== PRODUCE_KEY) break;
      const frame = this.pool.take(size);
      all.copy(frame, 0, 4);
      this.filling = { frame, filled: all.length - 4 };
      this.pending = [];
      this.pendingBytes = 0;
    }
    return undefined;
  }

  /** Drops what was read of an unfinished frame (the connection closed). */
  clear(): void {
    this.pending = [];
    this.pendingBytes = 0;
    this.filling = undefined;
  }

  private flatten(): Buffer {
    if (this.pending.length > 1) this.pending = [Buffer.concat(this.pending, this.pendingBytes)];
    return this.pending[0];
  }
}
