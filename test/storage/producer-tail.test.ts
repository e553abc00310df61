import { describe, expect, it } from 'vitest';
import { encodeRecordBatch, sealBatch } from '../../src/log/record-batch.js';
import { PartitionLog } from '../../workers/broker/partition-log.js';
import { producerTail } from '../../workers/broker/producer-tail.js';
import { logOptions, useTempDirs } from './helpers.js';

const tempDir = useTempDirs();

/** A batch of `records` records of `size` bytes each; with a producer id when `producer` is given. */
function batch(records: number, size: number, producer?: { id: number; firstSeq: number; epoch?: number }): Buffer {
  const b = encodeRecordBatch(Array.from({ length: records }, () => ({ value: Buffer.alloc(size, 1) })));
  if (producer) {
    b.writeBigInt64BE(BigInt(producer.id), 43);
    b.writeInt16BE(producer.epoch ?? 0, 51);
    b.writeInt32BE(producer.firstSeq, 53);
    sealBatch(b, 0, b.length);
  }
  return b;
}

describe("a partition's idempotent producers read back from its log's tail (broker thread)", () => {
  it("gives each producer's last five batches in offset order, across segments and batches larger than its read window", () => {
    // 64 KiB segments: the batches below spread over several.
    const log = PartitionLog.open(logOptions(tempDir()));
    for (let i = 0; i < 8; i++) {
      log.append(batch(2, 3000, { id: 7, firstSeq: 2 * i }), 0);
      log.append(batch(1, 5000), 0); // no producer
    }
    log.append(batch(3, 100_000), 0); // past the 64 KiB window, in a segment of its own
    const last = log.append(batch(1, 10, { id: 9, firstSeq: 41, epoch: 2 }), 0);

    const tail = producerTail(log, 1024 * 1024 * 1024, 100);
    expect(tail.map((b) => [b.producerId, b.epoch, b.firstSeq, b.lastSeq])).toEqual([
      [7, 0, 6, 7],
      [7, 0, 8, 9],
      [7, 0, 10, 11],
      [7, 0, 12, 13],
      [7, 0, 14, 15],
      [9, 2, 41, 41],
    ]);
    // Each batch's offset: producer 7's batches and the plain ones alternate, three offsets a pair.
    expect(tail.map((b) => b.baseOffset)).toEqual([9, 12, 15, 18, 21, last.baseOffset]);
    log.close();
  });

  it('reads only the last bytes asked for, and keeps the producers seen last', () => {
    const log = PartitionLog.open(logOptions(tempDir(), { segmentBytes: 1024 * 1024 }));
    log.append(batch(1, 10, { id: 1, firstSeq: 0 }), 0);
    for (let i = 0; i < 20; i++) log.append(batch(1, 4000), 0);
    log.append(batch(1, 10, { id: 2, firstSeq: 0 }), 0);
    log.append(batch(1, 10, { id: 3, firstSeq: 0 }), 0);
    // The last 8 KiB (from the index entry before them) hold producers 2 and 3, not 1.
    expect(producerTail(log, 8 * 1024, 100).map((b) => b.producerId)).toEqual([2, 3]);
    expect(producerTail(log, 1024 * 1024, 100).map((b) => b.producerId)).toEqual([1, 2, 3]);
    expect(producerTail(log, 1024 * 1024, 1).map((b) => b.producerId)).toEqual([3]);
    log.close();
  });
});
