/** Runs on: main thread. librdkafka's consumed messages as the log's ConsumedRecords. */
import type { ConsumedRecord, RecordHeader } from '../types.js';
import type { Message } from './client-types.js';

export function toConsumedRecord(m: Message): ConsumedRecord {
  const headers: RecordHeader[] = [];
  for (const h of m.headers ?? []) {
    for (const [key, value] of Object.entries(h)) headers.push({ key, value: typeof value === 'string' ? Buffer.from(value) : value });
  }
  return {
    topic: m.topic,
    partition: m.partition,
    offset: m.offset,
    timestamp: m.timestamp ?? -1,
    key: m.key === undefined || m.key === null ? null : typeof m.key === 'string' ? Buffer.from(m.key) : m.key,
    value: m.value ?? null,
    headers,
  };
}

/** What a record counts against a fetch's byte budget. */
export function consumedBytes(r: ConsumedRecord): number {
  let n = (r.key?.length ?? 0) + (r.value?.length ?? 0);
  for (const h of r.headers) n += h.key.length + h.value.length;
  return n;
}
