/** Runs on: main thread. librdkafka's consumed messages as the log's ConsumedRecords. */
import { RecordView } from '../record-view.js';
import type { ConsumedRecord, RecordHeader } from '../types.js';
import type { Message } from './client-types.js';

export function toConsumedRecord(m: Message): ConsumedRecord {
  const headers: RecordHeader[] = [];
  for (const h of m.headers ?? []) {
    for (const [key, value] of Object.entries(h)) headers.push({ key, value: typeof value === 'string' ? Buffer.from(value) : value });
  }
  return RecordView.of({
    topic: m.topic,
    partition: m.partition,
    offset: m.offset,
    timestamp: m.timestamp ?? -1,
    key: m.key === undefined || m.key === null ? null : typeof m.key === 'string' ? Buffer.from(m.key) : m.key,
    value: m.value ?? null,
    headers,
  });
}

/** What a record counts against a fetch's byte budget. */
export function consumedBytes(r: ConsumedRecord): number {
  let n = Math.max(0, r.keySize) + Math.max(0, r.valueSize);
  for (const h of r.headers) n += h.key.length + h.value.length;
  return n;
}
