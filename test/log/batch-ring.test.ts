import { describe, expect, it } from 'vitest';
import { BatchRingReader, BatchRingWriter } from '../../src/log/embedded/batch-ring.js';
import { readAll, values } from './conformance.js';
import { startEmbedded, useDataDirs } from './helpers.js';

describe('batch ring between the producer and a broker', () => {
  it('hands out slices in order, refuses what does not fit, and reuses space the broker finished', () => {
    const writer = new BatchRingWriter(100);
    const reader = new BatchRingReader(writer.memory);
    const a = writer.allocate(40)!;
    const b = writer.allocate(40)!;
    expect([a.byteOffset, b.byteOffset]).toEqual([0, 40]);
    expect(writer.allocate(30)).toBeUndefined(); // 20 left at the end, nothing free before `a`
    expect(writer.allocate(101)).toBeUndefined();

    reader.finish(); // done with `a`: its 40 bytes at the start are free again
    const c = writer.allocate(30)!;
    expect(c.byteOffset).toBe(0);
    expect(writer.allocate(11)).toBeUndefined(); // 10 left between `c` and `b`: wrapped, not past `b`
    expect(writer.allocate(10)!.byteOffset).toBe(30);

    reader.finish();
    reader.finish();
    reader.finish(); // all done: the whole ring is free
    expect(writer.allocate(100)!.byteOffset).toBe(0);
  });

  it('lets the broker see the bytes the producer wrote, and tells ring slices from other buffers', () => {
    const writer = new BatchRingWriter(64);
    const reader = new BatchRingReader(writer.memory);
    const slice = writer.allocate(5)!;
    slice.set([1, 2, 3, 4, 5]);
    const named = writer.sliceOf(slice)!;
    expect(named).toEqual({ ring: true, byteOffset: 0, length: 5 });
    expect([...reader.view(named)]).toEqual([1, 2, 3, 4, 5]);
    expect(writer.sliceOf(Buffer.from([1, 2, 3, 4, 5]))).toBeUndefined();
  });

  const dataDir = useDataDirs();

  it('carries batches through the ring and, past its size, as transferred buffers, in one partition', async () => {
    const backend = await startEmbedded(dataDir(), { max_record_bytes: 8 * 1024 * 1024 });
    try {
      await backend.createTopic({ name: 'ring', partitions: 1 });
      const big = Buffer.alloc(5 * 1024 * 1024, 7); // over the 4 MiB ring
      const produced = await Promise.all([
        backend.produce('ring', 0, [{ value: Buffer.from('before') }]),
        backend.produce('ring', 0, [{ value: big }]),
        backend.produce('ring', 0, [{ value: Buffer.from('after') }]),
      ]);
      expect(produced.map((p) => p.baseOffset)).toEqual([0, 1, 2]);
      const records = await readAll(backend, 'ring', 0);
      expect(values(records.filter((r) => r.offset !== 1))).toEqual(['before', 'after']);
      expect(records[1].value!.equals(big)).toBe(true);
    } finally {
      await backend.shutdown();
    }
  });
});
