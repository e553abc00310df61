import { join } from 'node:path';
import type { TributaryError } from '../../src/errors.js';
import { decodeRecordBatches } from '../../src/log/record-batch.js';
import type { PartitionLogOptions } from '../../workers/broker/partition-log-types.js';
import type { PartitionLog } from '../../workers/broker/partition-log.js';
import { useDataDirs } from '../log/helpers.js';
import { batchOf } from './batches.js';

export { batchOf };

/** What `fn` threw; fails the test when it threw nothing. */
export function thrown(fn: () => unknown): TributaryError {
  try {
    fn();
  } catch (err) {
    return err as TributaryError;
  }
  throw new Error('expected an error');
}

/** A fresh partition directory per call (in a temp dir removed after the test). */
export function useTempDirs(): () => string {
  const dataDir = useDataDirs();
  return () => join(dataDir(), 'otlp_spans-0');
}

export function logOptions(dir: string, overrides: Partial<PartitionLogOptions> = {}): PartitionLogOptions {
  return { dir, segmentBytes: 64 * 1024, segmentMs: 3_600_000, indexIntervalBytes: 1024, maxBatchBytes: 1024 * 1024, ...overrides };
}

/** Appends `batches` batches of `perBatch` records; returns the log. */
export function fill(log: PartitionLog, batches: number, perBatch = 10, timestamp = 1_700_000_000_000): void {
  for (let b = 0; b < batches; b++) log.append(batchOf(perBatch, log.highWatermark, timestamp), 0, timestamp);
}

/** Every record from `from` to the high watermark, read the way a consumer does. */
export function readAll(log: PartitionLog, from = log.logStartOffset): { offset: number; value: string }[] {
  const out: { offset: number; value: string }[] = [];
  let offset = from;
  while (offset < log.highWatermark) {
    const records = decodeRecordBatches(log.read(offset, 4096).batches, 't', 0, offset);
    for (const r of records) out.push({ offset: r.offset, value: r.value!.toString('utf8').replace(/\.+$/, '') });
    offset = records[records.length - 1].offset + 1;
  }
  return out;
}

export function expectedValues(from: number, to: number): { offset: number; value: string }[] {
  const out: { offset: number; value: string }[] = [];
  for (let o = from; o < to; o++) out.push({ offset: o, value: `v${o}` });
  return out;
}
