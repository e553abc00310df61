/**
 * Runs on: main thread.
 *
 * Cuts a connection's byte stream into Kafka request frames (an int32 size, then that many
 * bytes), wherever the reads split them. A frame that lies whole in one chunk the socket handed
 * over is a view of it; any other is copied, piece by piece as it arrives, into memory of its own
 * from the listener's BufferPool, so a megabyte frame read in 64 KB pieces costs no second buffer to join them.
 * A socket that reads where it is told (read-buffer-socket.ts) reads most of a large frame
 * straight into that memory (readTarget). That memory counts against the listener's FrameBudget
 * until the frame is whole: when it does not fit, the bytes read past the size prefix are kept
 * (one read's worth) and the connection is told to stop reading (onWait) until it does (onResume).
 */
import type { BufferPool } from '../buffer-pool.js';
import type { FrameBudget } from './frame-budget.js';

export interface FrameAssemblerOptions {
  maxFrameBytes: number;
  pool: BufferPool;
  onFrame: (frame: Buffer) => void;
  /**
   * A frame that cannot be read: its size prefix is over maxFrameBytes (or negative), or no memory
   * could be had for it (an allocation failure must close one connection, not the process).
   * Nothing more is read from the stream.
   */
  onRefused: (reason: 'frame-too-large' | 'no-memory', size: number) => void;
  /** Memory for frames partly received, shared by every connection. */
  budget: FrameBudget;
  /** The frame waits for the budget: read no more until onResume. */
  onWait: () => void;
  /** The frame waiting got its memory, and the bytes kept were pushed: reading may go on. */
  onResume: () => void;
}

export class FrameAssembler {
  /** The size prefix when a read ends inside it. */
  private readonly prefix = Buffer.alloc(4);
  private prefixFilled = 0;
  /** The frame being filled, and how much of it is. */
  private frame: Buffer | undefined;
  private filled = 0;
  private failed = false;
  /** A frame waiting for the budget: its size, and the bytes read after its size prefix. */
  private waitingFrame: { size: number; kept: Buffer } | undefined;

  constructor(private readonly options: FrameAssemblerOptions) {}

  /**
   * Where the next read should go: the unfilled rest of the frame being assembled when it is at
   * least as long as `scratch` (the socket then reads into the frame itself, and push() copies
   * nothing), else `scratch`.
   */
  /** Whether a frame waits for the budget (nothing more should be read meanwhile). */
  get waiting(): boolean {
    return this.waitingFrame !== undefined;
  }

  readTarget(scratch: Buffer): Buffer {
    const rest = this.frame ? this.frame.length - this.filled : 0;
    return rest >= scratch.length ? this.frame!.subarray(this.filled) : scratch;
  }

  /**
   * The next bytes of the stream. `reused`: the caller overwrites them after this call, so no
   * frame may be a view of them. False once a frame was over the limit.
   */
  push(chunk: Buffer, reused = false): boolean {
    if (this.waitingFrame) {
      // Read before the socket stopped: kept with the rest, in order.
      this.waitingFrame.kept = Buffer.concat([this.waitingFrame.kept, chunk]);
      return !this.failed;
    }
    let pos = 0;
    while (!this.failed && pos < chunk.length) {
      if (!this.frame) {
        let size: number;
        if (this.prefixFilled === 0 && chunk.length - pos >= 4) {
          size = chunk.readInt32BE(pos);
          pos += 4;
        } else {
          const n = Math.min(4 - this.prefixFilled, chunk.length - pos);
          chunk.copy(this.prefix, this.prefixFilled, pos, pos + n);
          this.prefixFilled += n;
          pos += n;
          if (this.prefixFilled < 4) break;
          this.prefixFilled = 0;
          size = this.prefix.readInt32BE(0);
        }
        if (size < 0 || size > this.options.maxFrameBytes) {
          this.refuse('frame-too-large', size);
          break;
        }
        if (!reused && chunk.length - pos >= size) {
          this.options.onFrame(chunk.subarray(pos, pos + size));
          pos += size;
          continue;
        }
        if (!this.options.budget.take(size, this.granted)) {
          this.waitingFrame = { size, kept: Buffer.from(chunk.subarray(pos)) };
          this.options.onWait();
          break;
        }
        const frame = this.startFrame(size);
        if (!frame) break;
        this.frame = frame;
        this.filled = 0;
      }
      const n = Math.min(this.frame.length - this.filled, chunk.length - pos);
      // Bytes read straight into the frame (readTarget) are already in place.
      if (chunk.buffer !== this.frame.buffer || chunk.byteOffset + pos !== this.frame.byteOffset + this.filled) chunk.copy(this.frame, this.filled, pos, pos + n);
      this.filled += n;
      pos += n;
      if (this.filled === this.frame.length) {
        const frame = this.frame;
        this.frame = undefined;
        this.options.onFrame(frame);
        this.options.budget.give(frame.length);
      }
    }
    return !this.failed;
  }

  /** The connection is gone: the frame it was receiving, or waiting for, gives its budget back. */
  release(): void {
    this.failed = true;
    if (this.frame) this.options.budget.give(this.frame.length);
    this.frame = undefined;
    if (this.waitingFrame) this.options.budget.cancel(this.granted);
    this.waitingFrame = undefined;
  }

  /** The budget took the waiting frame's memory: the frame starts with the bytes kept. */
  private readonly granted = (): void => {
    const waited = this.waitingFrame;
    this.waitingFrame = undefined;
    if (!waited || this.failed) {
      if (waited) this.options.budget.give(waited.size);
      return;
    }
    const frame = this.startFrame(waited.size);
    if (!frame) return;
    this.frame = frame;
    this.filled = 0;
    // The bytes kept may hold the start of another frame that waits in turn.
    if (this.push(waited.kept) && !this.waitingFrame) this.options.onResume();
  };

  /** A frame's own memory, its budget taken already; undefined (and the stream refused) when none can be had. */
  private startFrame(size: number): Buffer | undefined {
    try {
      return this.options.pool.take(size);
    } catch {
      this.options.budget.give(size);
      this.refuse('no-memory', size);
      return undefined;
    }
  }

  private refuse(reason: 'frame-too-large' | 'no-memory', size: number): void {
    this.failed = true;
    this.options.onRefused(reason, size);
  }
}
