import { MessageChannel } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { BufferPool } from '../src/buffer-pool.js';

/** `memory` as a thread it was transferred to would hand it back: through a channel, both ways. */
async function transferredBack(memory: ArrayBuffer): Promise<ArrayBuffer> {
  const { port1, port2 } = new MessageChannel();
  const back = new Promise<ArrayBuffer>((resolve) => port1.once('message', resolve));
  port2.once('message', (m: ArrayBuffer) => port2.postMessage(m, [m]));
  port1.postMessage(memory, [memory]);
  const returned = await back;
  port1.close();
  return returned;
}

describe('BufferPool', () => {
  it('gives a frame back only once, and lends its memory again to a frame of the same size class', () => {
    const pool = new BufferPool({ maxFreeBytes: 1 << 20, minPooledBytes: 4096 });
    const first = pool.take(100_000);
    pool.give(first);
    pool.give(first);
    const second = pool.take(120_000);
    const third = pool.take(110_000);
    expect(second.buffer).toBe(first.buffer);
    expect(third.buffer).not.toBe(first.buffer);
    expect(second.length).toBe(120_000);
  });

  it('ignores buffers it did not lend, and keeps no more free memory than its bound', () => {
    const pool = new BufferPool({ maxFreeBytes: 200_000, minPooledBytes: 4096 });
    const foreign = Buffer.alloc(131_072);
    pool.give(foreign);
    expect(pool.take(131_072).buffer).not.toBe(foreign.buffer);
    const [a, b] = [pool.take(100_000), pool.take(100_000)];
    pool.give(a);
    pool.give(b); // a 128 KiB buffer is kept; a second would pass 200 000 bytes
    expect(pool.take(100_000).buffer).toBe(a.buffer);
    expect(pool.take(100_000).buffer).not.toBe(b.buffer);
  });

  it('takes back memory that went to another thread and came back, only in the sizes it lends', async () => {
    const pool = new BufferPool({ maxFreeBytes: 1 << 20, minPooledBytes: 65_536 });
    const lent = pool.take(100_000);
    const back = await transferredBack(lent.buffer as ArrayBuffer);
    expect(back).not.toBe(lent.buffer);
    expect(lent.buffer.byteLength).toBe(0);
    pool.adopt(back);
    pool.adopt(new ArrayBuffer(100_000)); // no size take() makes
    pool.adopt(new ArrayBuffer(32_768)); // below the pooled sizes
    const reused = pool.take(120_000);
    expect(reused.buffer).toBe(back);
    expect(reused.length).toBe(120_000);
    expect(pool.take(100_000).buffer).not.toBe(back);
  });

  it('forgets a buffer its owner gave away: give() then keeps nothing, and the memory comes back only through adopt', async () => {
    const pool = new BufferPool({ maxFreeBytes: 1 << 20, minPooledBytes: 65_536 });
    const frame = pool.take(100_000);
    expect(pool.forget(frame)).toBe(true);
    expect(pool.forget(frame)).toBe(false);
    expect(pool.forget(Buffer.alloc(100_000))).toBe(false);
    // The connection gives every frame back once its handler started, maybe before the memory left.
    pool.give(frame);
    expect(pool.take(100_000).buffer).not.toBe(frame.buffer);
    const back = await transferredBack(frame.buffer as ArrayBuffer);
    pool.adopt(back);
    expect(pool.take(100_000).buffer).toBe(back);
  });
});
