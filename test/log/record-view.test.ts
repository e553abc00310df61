import { MessageChannel } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { decodeRecordBatches, encodeRecordBatch } from '../../src/log/record-batch.js';
import type { ConsumedRecord } from '../../src/log/types.js';
import { clonedRecord } from '../../src/sinks/runtime/cloned-records.js';

const asSeen = ({ topic, partition, offset, timestamp, key, value, headers }: ConsumedRecord) => ({ topic, partition, offset, timestamp, key, value, headers });

function decoded(): ConsumedRecord[] {
  const batch = encodeRecordBatch(
    [
      { key: Buffer.from('trace-1'), value: Buffer.from('first value'), headers: [{ key: 'otlp-signal', value: 'traces' }] },
      { key: null, value: null },
      { value: Buffer.alloc(0) },
    ],
    { baseOffset: 10, now: 1_700_000_000_000 },
  );
  return decodeRecordBatches(batch, 'otlp_spans', 1);
}

describe('records read where they lie in the fetched batch', () => {
  it('locates key and value in the batch bytes, -1 for null, and reads them as Buffers on demand', () => {
    const [full, empty, zero] = decoded();
    expect(full.valueBytes.subarray(full.valueStart, full.valueStart + full.valueSize).toString()).toBe('first value');
    expect(full.keyBytes.subarray(full.keyStart, full.keyStart + full.keySize).toString()).toBe('trace-1');
    expect(full.value).toEqual(Buffer.from('first value'));
    expect(full.key).toEqual(Buffer.from('trace-1'));
    expect([empty.keySize, empty.valueSize, empty.key, empty.value]).toEqual([-1, -1, null, null]);
    expect([zero.valueSize, zero.value]).toEqual([0, Buffer.alloc(0)]);
  });

  it('withValue changes the value alone', () => {
    const [full] = decoded();
    const trimmed = full.withValue(Buffer.from('shorter'));
    expect(asSeen(trimmed)).toEqual({ ...asSeen(full), value: Buffer.from('shorter') });
    expect(full.value).toEqual(Buffer.from('first value'));
  });

  it('crosses to another thread by structured clone and reads the same there', async () => {
    const records = decoded();
    const { port1, port2 } = new MessageChannel();
    const received = new Promise<ConsumedRecord[]>((resolve) => port2.once('message', resolve));
    port1.postMessage(records);
    const cloned = (await received).map(clonedRecord);
    port1.close();
    expect(cloned.map(asSeen)).toEqual(records.map(asSeen));
    expect(Buffer.isBuffer(cloned[0].value)).toBe(true);
    expect(Buffer.isBuffer(cloned[0].headers[0].value)).toBe(true);
  });
});
