import { describe, expect, it } from 'vitest';
import { SharedSlabs } from '../../src/receiver/shared-slabs.js';

describe('SharedSlabs', () => {
  it('hands out views of power-of-two shared slabs and reuses a released one', () => {
    const slabs = new SharedSlabs();
    const first = slabs.take(70_000);
    expect(first.length).toBe(70_000);
    expect(first.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(first.buffer.byteLength).toBe(128 * 1024);
    slabs.release(first.buffer);
    expect(slabs.take(100_000).buffer).toBe(first.buffer);
    expect(slabs.take(100_000).buffer).not.toBe(first.buffer);
  });

  it('gives a plain buffer past the largest slab, and ignores it on release', () => {
    const slabs = new SharedSlabs();
    const big = slabs.take(20 * 1024 * 1024);
    expect(big.buffer).toBeInstanceOf(ArrayBuffer);
    expect(slabs.takeSlab(20 * 1024 * 1024)).toBeUndefined();
    slabs.release(big.buffer);
    expect(slabs.take(64).buffer).toBeInstanceOf(SharedArrayBuffer);
  });

  it('keeps no more released memory than its limit', () => {
    const slabs = new SharedSlabs(256 * 1024);
    const taken = [slabs.takeSlab(200_000)!, slabs.takeSlab(200_000)!];
    for (const slab of taken) slabs.release(slab);
    // Only the first fitted under the limit; the second was dropped for the GC.
    expect(slabs.takeSlab(200_000)).toBe(taken[0]);
    expect(slabs.takeSlab(200_000)).not.toBe(taken[1]);
  });
});
