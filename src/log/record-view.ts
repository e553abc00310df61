// Runs on: any thread (readers decode into it; sinks read it).
import { bufferOf } from '../buffer-of.js';
import type { ConsumedRecord, RecordHeader } from './types.js';

/** What a null key or value points into. */
const NO_BYTES = Buffer.alloc(0);

/**
 * A consumed record that points into the bytes holding it (for the embedded log: the fetched
 * batch) instead of holding Buffers of its own. Its key and value Buffers are made when read;
 * sinks that only copy or walk the bytes read `valueBytes[valueStart, valueStart + valueSize)`
 * and no Buffer object is made at all. A Buffer view costs more to create (and to collect) than
 * the rest of the record's decoding; single-span records are many.
 */
export class RecordView implements ConsumedRecord {
  constructor(
    readonly topic: string,
    readonly partition: number,
    readonly offset: number,
    readonly timestamp: number,
    readonly headers: RecordHeader[],
    readonly keyBytes: Buffer,
    readonly keyStart: number,
    /** -1 for a null key. */
    readonly keySize: number,
    readonly valueBytes: Buffer,
    readonly valueStart: number,
    /** -1 for a null value. */
    readonly valueSize: number,
  ) {}

  /** A record from Buffers of its own (a Kafka client's message, a record cloned across threads, a test's). */
  static of(r: { topic: string; partition: number; offset: number; timestamp: number; key: Uint8Array | null; value: Uint8Array | null; headers: RecordHeader[] }): RecordView {
    const key = r.key === null ? NO_BYTES : bufferOf(r.key);
    const value = r.value === null ? NO_BYTES : bufferOf(r.value);
    return new RecordView(r.topic, r.partition, r.offset, r.timestamp, r.headers, key, 0, r.key === null ? -1 : key.length, value, 0, r.value === null ? -1 : value.length);
  }

  get key(): Buffer | null {
    return view(this.keyBytes, this.keyStart, this.keySize);
  }

  get value(): Buffer | null {
    return view(this.valueBytes, this.valueStart, this.valueSize);
  }

  /** This record with another value (a filter's trimmed copy), the rest unchanged. */
  withValue(value: Uint8Array | null): RecordView {
    const bytes = value === null ? NO_BYTES : bufferOf(value);
    return new RecordView(this.topic, this.partition, this.offset, this.timestamp, this.headers, this.keyBytes, this.keyStart, this.keySize, bytes, 0, value === null ? -1 : bytes.length);
  }
}

/** Buffer.from over the ArrayBuffer: about half the cost of Buffer#subarray, which looks up a species constructor. */
function view(bytes: Buffer, start: number, size: number): Buffer | null {
  return size < 0 ? null : Buffer.from(bytes.buffer, bytes.byteOffset + start, size);
}
