import { describe, expect, it } from 'vitest';
import { FrameAssembler } from '../../src/kafka/frame-assembler.js';
import { FrameBudget } from '../../src/kafka/frame-budget.js';
import { BufferPool } from '../../src/buffer-pool.js';

/** Size-prefixed frames of the given sizes, each byte its frame's number and position mixed. */
function stream(sizes: number[]): { bytes: Buffer; frames: Buffer[] } {
  const frames = sizes.map((size, f) => Buffer.from(Array.from({ length: size }, (_, i) => (f * 31 + i) & 0xff)));
  const prefix = (size: number) => {
    const b = Buffer.alloc(4);
    b.writeInt32BE(size, 0);
    return b;
  };
  const bytes = Buffer.concat(frames.flatMap((frame) => [prefix(frame.length), frame]));
  return { bytes, frames };
}

function assembler(maxFrameBytes = 1 << 20, pool = new BufferPool({ maxFreeBytes: 1 << 20, minPooledBytes: 4096 }), budget = new FrameBudget(1 << 30)) {
  const got: Buffer[] = [];
  const refused: [string, number][] = [];
  const events: string[] = [];
  const a = new FrameAssembler({
    maxFrameBytes,
    pool,
    budget,
    onFrame: (f) => got.push(f),
    onRefused: (reason, size) => refused.push([reason, size]),
    onWait: () => events.push('wait'),
    onResume: () => events.push('resume'),
  });
  return { a, got, refused, events };
}

describe('FrameAssembler', () => {
  const sizes = [0, 1, 7, 5000, 70_000, 3];
  const { bytes, frames } = stream(sizes);

  /** Whether `got` are `frames`, byte for byte (a deep equality of 70 KB buffers is slow). */
  const same = (got: Buffer[]) => got.length === frames.length && got.every((f, i) => f.equals(frames[i]));

  it('yields every frame byte for byte, wherever one cut splits the stream', () => {
    // Every position within 8 bytes of a frame's start (its size prefix and first bytes), and every 997th.
    const starts = [0];
    for (const size of sizes) starts.push(starts[starts.length - 1] + 4 + size);
    const cuts = new Set(starts.flatMap((s) => Array.from({ length: 17 }, (_, i) => s - 8 + i)).filter((c) => c >= 0 && c <= bytes.length));
    for (let c = 0; c < bytes.length; c += 997) cuts.add(c);
    for (const reused of [false, true]) {
      for (const cut of cuts) {
        const { a, got } = assembler();
        // A reused chunk is overwritten after push, as the shared read buffer is.
        const feed = (piece: Buffer) => {
          const copy = Buffer.from(piece);
          a.push(copy, reused);
          if (reused) copy.fill(0xee);
        };
        feed(bytes.subarray(0, cut));
        feed(bytes.subarray(cut));
        expect(same(got), `cut at ${cut}, reused ${reused}`).toBe(true);
      }
    }
  });

  it('yields every frame byte for byte when the stream arrives one byte at a time', () => {
    const { a, got } = assembler();
    for (let i = 0; i < bytes.length; i++) a.push(bytes.subarray(i, i + 1), true);
    expect(same(got)).toBe(true);
  });

  it('yields every frame byte for byte when reads go where readTarget() says, straight into large frames', () => {
    const { a, got } = assembler();
    const scratch = Buffer.alloc(1000);
    let direct = 0;
    for (let pos = 0; pos < bytes.length; ) {
      const target = a.readTarget(scratch);
      if (target !== scratch) direct++;
      // A read of at most 1500 bytes, as the kernel may return less than asked.
      const n = Math.min(target.length, bytes.length - pos, 1500);
      bytes.copy(target, 0, pos, pos + n);
      a.push(target.subarray(0, n), true);
      if (target === scratch) scratch.fill(0xee);
      pos += n;
    }
    expect(same(got)).toBe(true);
    expect(direct).toBeGreaterThan(40);
  });

  it('stops at a size prefix over the limit or negative, and reads nothing after it', () => {
    for (const size of [1025, -1]) {
      const { a, got, refused } = assembler(1024);
      const ok = stream([10]).bytes;
      const bad = Buffer.alloc(8);
      bad.writeInt32BE(size, 0);
      expect(a.push(Buffer.concat([ok, bad.subarray(0, 2)]))).toBe(true);
      expect(a.push(Buffer.concat([bad.subarray(2), ok]))).toBe(false);
      expect(a.push(ok)).toBe(false);
      expect(got.length).toBe(1);
      expect(refused).toEqual([['frame-too-large', size]]);
    }
  });

  it('holds a frame that does not fit in the shared budget until another gives memory back, then yields it whole', () => {
    const budget = new FrameBudget(100_000);
    const first = assembler(1 << 20, undefined, budget);
    const second = assembler(1 << 20, undefined, budget);
    const one = stream([70_000]).bytes;
    const two = stream([70_000, 10]);
    first.a.push(one.subarray(0, 1000), true);
    expect(budget.usedBytes).toBe(70_000);
    // The second frame's size and first bytes arrive; its 70,000 bytes do not fit beside the first's.
    expect(second.a.push(two.bytes.subarray(0, 500), true)).toBe(true);
    expect(second.events).toEqual(['wait']);
    expect(second.a.waiting).toBe(true);
    expect(budget.usedBytes).toBe(70_000);
    // Bytes read before the socket stopped are kept in order.
    second.a.push(two.bytes.subarray(500, 600), true);
    first.a.push(one.subarray(1000), true);
    expect(first.got.length).toBe(1);
    expect(second.events).toEqual(['wait', 'resume']);
    expect(budget.usedBytes).toBe(70_000);
    second.a.push(two.bytes.subarray(600), true);
    expect(second.got.map((f) => f.length)).toEqual([70_000, 10]);
    expect(second.got.every((f, i) => f.equals(two.frames[i]))).toBe(true);
    expect(budget.usedBytes).toBe(0);
  });

  it('gives back the budget of a frame cut off by its connection closing, and withdraws one waiting', () => {
    const budget = new FrameBudget(100_000);
    const first = assembler(1 << 20, undefined, budget);
    const second = assembler(1 << 20, undefined, budget);
    const third = assembler(1 << 20, undefined, budget);
    const bytes = stream([70_000]).bytes;
    first.a.push(bytes.subarray(0, 1000));
    second.a.push(bytes.subarray(0, 1000));
    third.a.push(bytes.subarray(0, 1000));
    second.a.release();
    expect(budget.usedBytes).toBe(70_000);
    first.a.release();
    // The third, waiting behind the second, gets the memory.
    expect(third.events).toEqual(['wait', 'resume']);
    expect(budget.usedBytes).toBe(70_000);
    third.a.release();
    expect(budget.usedBytes).toBe(0);
  });

  it('stops, and says so, when no memory can be had for a frame, instead of throwing', () => {
    class ExhaustedPool extends BufferPool {
      override take(size: number): Buffer {
        throw new RangeError(`Array buffer allocation failed (${size} bytes)`);
      }
    }
    const { a, got, refused } = assembler(1 << 20, new ExhaustedPool({ maxFreeBytes: 0, minPooledBytes: 4096 }));
    const { bytes } = stream([10, 70_000]);
    expect(a.push(bytes.subarray(0, 100))).toBe(false);
    expect(got.length).toBe(1);
    expect(refused).toEqual([['no-memory', 70_000]]);
  });
});
