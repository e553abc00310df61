import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeRecordBatches, encodeRecordBatch, readBatchHeader } from '../../src/log/record-batch.js';
import { PartitionLog } from '../../workers/broker/partition-log.js';
import { batchOf, expectedValues, fill, logOptions, readAll, thrown, useTempDirs } from './helpers.js';

const tempDir = useTempDirs();

function batchHeaders(buf: Buffer): { baseOffset: number; lastOffset: number; leaderEpoch: number }[] {
  const out = [];
  for (let pos = 0; pos < buf.length; ) {
    const h = readBatchHeader(buf, pos)!;
    out.push({ baseOffset: h.baseOffset, lastOffset: h.baseOffset + h.lastOffsetDelta, leaderEpoch: h.leaderEpoch });
    pos += 12 + h.batchLength;
  }
  return out;
}

describe('PartitionLog appends', () => {
  it('stores the batch as given, with the assigned offsets and leader epoch', () => {
    const log = PartitionLog.open(logOptions(tempDir()));
    const batch = batchOf(4, 0);
    log.append(batch, 7);
    const stored = log.read(0, 1 << 20).batches;
    expect(stored).toEqual(batch);
    expect(batchHeaders(stored)).toEqual([{ baseOffset: 0, lastOffset: 3, leaderEpoch: 7 }]);
    log.close();
  });

  it('refuses a batch over maxBatchBytes with RECORD_TOO_LARGE and keeps the log as it was', () => {
    const log = PartitionLog.open(logOptions(tempDir(), { maxBatchBytes: 2000 }));
    fill(log, 1);
    const err = thrown(() => log.append(batchOf(30, 10), 0));
    expect(err.code).toBe('RECORD_TOO_LARGE');
    expect(err.message).toMatch(/exceeds the limit of 2000 bytes/);
    expect(log.highWatermark).toBe(10);
    expect(readAll(log)).toEqual(expectedValues(0, 10));
    log.close();
  });

  it('refuses malformed batches with INVALID_RECORD and writes nothing', () => {
    const log = PartitionLog.open(logOptions(tempDir()));
    fill(log, 1);
    const size = log.sizeBytes;
    const flipped = batchOf(3, 10);
    flipped[flipped.length - 5] ^= 1;
    const cases: [string, Buffer, RegExp][] = [
      ['flipped bit', flipped, /bad-crc/],
      ['truncated', batchOf(3, 10).subarray(0, 100), /truncated/],
      ['two batches', Buffer.concat([batchOf(1, 10), batchOf(1, 11)]), /bytes after the end/],
      ['garbage', Buffer.alloc(80, 0xff), /bad-length/],
    ];
    for (const [name, batch, message] of cases) {
      const err = thrown(() => log.append(batch, 0));
      expect(err.code, name).toBe('INVALID_RECORD');
      expect(err.message, name).toMatch(message);
    }
    expect(log.sizeBytes).toBe(size);
    expect(log.append(batchOf(1, 10), 0).baseOffset).toBe(10);
    log.close();
  });

  it('rolls a segment by age', () => {
    const log = PartitionLog.open(logOptions(tempDir(), { segmentMs: 1000 }));
    const t = 1_700_000_000_000;
    log.append(batchOf(1, 0, t), 0, t);
    log.append(batchOf(1, 1, t), 0, t + 999);
    const before = log.sizeBytes;
    log.append(batchOf(1, 2, t), 0, t + 1000);
    // The first segment is now sealed: retention can take it whole.
    log.updateSettings({ retentionMs: 0 });
    expect(log.enforceRetention(t + 1001)).toEqual({ segmentsDeleted: 1, bytesDeleted: before });
    expect(log.logStartOffset).toBe(2);
    log.close();
  });

  it('takes new segment sizes from updateSettings and rejects bad ones', () => {
    const dir = tempDir();
    const log = PartitionLog.open(logOptions(dir, { segmentBytes: 1 << 20 }));
    fill(log, 4);
    log.updateSettings({ segmentBytes: 1000, retentionBytes: 0 });
    fill(log, 1);
    expect(log.enforceRetention().segmentsDeleted).toBe(1);
    expect(log.logStartOffset).toBe(40);
    expect(thrown(() => log.updateSettings({ segmentBytes: -1 })).code).toBe('CONFIG_INVALID');
    log.close();
  });

  it('refuses invalid options and calls on a closed log', () => {
    expect(thrown(() => PartitionLog.open(logOptions(tempDir(), { indexIntervalBytes: 0 }))).code).toBe('CONFIG_INVALID');
    // A partition directory that is a file: a storage error naming it, not a crash.
    const file = join(tempDir(), 'not-a-dir');
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, 'x');
    const openErr = thrown(() => PartitionLog.open(logOptions(file)));
    expect(openErr.code).toBe('STORAGE_ERROR');
    expect(openErr.message).toContain(file);
    const log = PartitionLog.open(logOptions(tempDir()));
    log.close();
    const err = thrown(() => log.append(batchOf(1), 0));
    expect(err.code).toBe('SHUTTING_DOWN');
    expect(err.retriable).toBe(true);
  });
});

describe('PartitionLog reads', () => {
  const open = () => {
    const log = PartitionLog.open(logOptions(tempDir(), { segmentBytes: 8 * 1024 }));
    fill(log, 30);
    return log;
  };

  it('starts with the whole batch that holds the offset', () => {
    const log = open();
    for (const offset of [0, 1, 9, 10, 137, 299]) {
      const first = batchHeaders(log.read(offset, 1).batches)[0];
      expect(first.baseOffset).toBeLessThanOrEqual(offset);
      expect(first.lastOffset).toBeGreaterThanOrEqual(offset);
    }
    log.close();
  });

  it('returns whole batches within maxBytes, and one batch even past it', () => {
    const log = open();
    const size = batchOf(10).length;
    expect(log.read(20, 1).batches.length).toBe(size);
    expect(log.read(10, 3 * size + Math.floor(size / 2)).batches.length).toBe(3 * size);
    log.close();
  });

  it('serves a consumer reading on from where it stopped, across segments and new appends', () => {
    const log = open();
    const size = batchOf(10).length;
    const seen: number[] = [];
    let offset = 0;
    // Budgets under one batch, of one, and of several; the log grows whenever the reader catches up.
    for (let i = 0; offset < 600; i++) {
      if (offset === log.highWatermark) fill(log, 3);
      const budget = [1, size, 2 * size + 5][i % 3];
      const batches = log.read(offset, budget).batches;
      const headers = batchHeaders(batches);
      expect(headers[0].baseOffset).toBe(offset);
      expect(batches.length).toBeLessThanOrEqual(Math.max(budget, size));
      for (const r of decodeRecordBatches(batches, 't', 0, offset)) seen.push(r.offset);
      offset = headers[headers.length - 1].lastOffset + 1;
    }
    expect(seen).toEqual(Array.from({ length: 600 }, (_, o) => o));
    // Reading elsewhere in between still finds each batch.
    expect(batchHeaders(log.read(15, size).batches)[0].baseOffset).toBe(10);
    expect(batchHeaders(log.read(600, size).batches)[0]).toBeUndefined();
    expect(batchHeaders(log.read(590, size).batches)[0].baseOffset).toBe(590);
    log.close();
  });

  it('returns nothing at the high watermark and OFFSET_OUT_OF_RANGE past the valid range', () => {
    const log = open();
    expect(log.read(300, 1000)).toMatchObject({ highWatermark: 300, logStartOffset: 0 });
    expect(log.read(300, 1000).batches.length).toBe(0);
    for (const offset of [301, -1, 1.5]) {
      const err = thrown(() => log.read(offset, 1000));
      expect(err.code).toBe('OFFSET_OUT_OF_RANGE');
      expect(err.message).toContain('valid offsets are 0 to 300');
      expect(err.details).toEqual({ logStartOffset: 0, highWatermark: 300 });
    }
    log.close();
  });

  it('finds offsets by timestamp, to the record', () => {
    const log = PartitionLog.open(logOptions(tempDir(), { segmentBytes: 4 * 1024 }));
    const t = 1_700_000_000_000;
    // Record i has timestamp t + 10 * i; four records per batch, many segments.
    for (let b = 0; b < 40; b++) {
      const records = [0, 1, 2, 3].map((j) => ({ value: Buffer.alloc(200), timestamp: t + 10 * (4 * b + j) }));
      log.append(encodeRecordBatch(records), 0, t);
    }
    expect(log.offsetForTimestamp(0)).toBe(0);
    expect(log.offsetForTimestamp(t)).toBe(0);
    expect(log.offsetForTimestamp(t + 1)).toBe(1);
    expect(log.offsetForTimestamp(t + 10 * 97)).toBe(97);
    expect(log.offsetForTimestamp(t + 10 * 97 - 3)).toBe(97);
    expect(log.offsetForTimestamp(t + 10 * 159)).toBe(159);
    expect(log.offsetForTimestamp(t + 10 * 160)).toBe(160);
    const records = decodeRecordBatches(log.read(97, 1).batches, 't', 0, 97);
    expect(records[0]).toMatchObject({ offset: 97, timestamp: t + 970 });
    log.close();
  });
});
