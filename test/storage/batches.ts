import { encodeRecordBatch } from '../../src/log/record-batch.js';
import type { ProducerRecord } from '../../src/log/types.js';

/** A batch of `count` records whose values name their offset, "v<first + i>"; its size depends
 *  only on `count` and `valueBytes`. */
export function batchOf(count: number, first = 0, timestamp = 1_700_000_000_000, valueBytes = 100): Buffer {
  const records: ProducerRecord[] = [];
  for (let i = 0; i < count; i++) {
    const value = Buffer.alloc(valueBytes, 0x2e);
    value.write(`v${first + i}`);
    records.push({ key: Buffer.from(`k${String(first + i).padStart(6, '0')}`), value, timestamp });
  }
  return encodeRecordBatch(records);
}
