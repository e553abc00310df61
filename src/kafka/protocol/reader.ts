/**
 * Runs on: main thread.
 *
 * Reads Kafka's protocol primitives from one request frame: fixed-width integers, (compact)
 * strings, bytes and arrays, unsigned varints and tagged-field sections. Every read is bounds
 * checked, and an array or string may not claim more elements than bytes remain, so a hostile
 * frame fails with INVALID_REQUEST instead of allocating without bound. A request's arrays
 * together may hold at most `maxEntries` elements (PAYLOAD_TOO_LARGE past them): what its
 * handler does per name or partition, besides the object each decodes to, outweighs the bytes.
 */
import { TributaryError } from '../../errors.js';

export class KafkaReader {
  pos: number;
  /** Array elements still allowed in this frame. */
  private entriesLeft: number;

  constructor(
    readonly buf: Buffer,
    start = 0,
    private readonly maxEntries = Number.POSITIVE_INFINITY,
  ) {
    this.pos = start;
    this.entriesLeft = maxEntries;
  }

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  private take(n: number): number {
    const at = this.pos;
    if (n < 0 || at + n > this.buf.length) throw malformed(`needs ${n} bytes at ${at}, ${this.buf.length - at} remain`);
    this.pos = at + n;
    return at;
  }

  int8(): number {
    return this.buf.readInt8(this.take(1));
  }

  int16(): number {
    return this.buf.readInt16BE(this.take(2));
  }

  uint16(): number {
    return this.buf.readUInt16BE(this.take(2));
  }

  int32(): number {
    return this.buf.readInt32BE(this.take(4));
  }

  uint32(): number {
    return this.buf.readUInt32BE(this.take(4));
  }

  /** As a number: exact for every offset, timestamp and producer id Tributary hands out (< 2^53). */
  int64(): number {
    const at = this.take(8);
    return this.buf.readInt32BE(at) * 0x100000000 + this.buf.readUInt32BE(at + 4);
  }

  float64(): number {
    return this.buf.readDoubleBE(this.take(8));
  }

  bool(): boolean {
    return this.buf[this.take(1)] !== 0;
  }

  uuid(): Buffer {
    const at = this.take(16);
    return Buffer.from(this.buf.subarray(at, at + 16));
  }

  uvarint(): number {
    let value = 0;
    let shift = 0;
    for (;;) {
      const b = this.buf[this.take(1)];
      value += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return value;
      shift += 7;
      if (shift > 35) throw malformed('unsigned varint longer than 5 bytes');
    }
  }

  /** A length prefix: int16/int32 (-1 = null) or, in flexible versions, uvarint N+1 (0 = null). */
  private length(compact: boolean, wide: boolean): number {
    const n = compact ? this.uvarint() - 1 : wide ? this.int32() : this.int16();
    if (n < -1 || n > this.remaining) throw malformed(`length ${n} with ${this.remaining} bytes left`);
    return n;
  }

  nullableString(compact: boolean): string | null {
    const n = this.length(compact, false);
    if (n < 0) return null;
    const at = this.take(n);
    return this.buf.toString('utf8', at, at + n);
  }

  string(compact: boolean): string {
    const s = this.nullableString(compact);
    if (s === null) throw malformed('null where a string is required');
    return s;
  }

  /** The bytes as a view of the frame (no copy); the frame is not reused once read. */
  nullableBytes(compact: boolean): Buffer | null {
    const n = this.length(compact, true);
    if (n < 0) return null;
    const at = this.take(n);
    return this.buf.subarray(at, at + n);
  }

  bytes(compact: boolean): Buffer {
    return this.nullableBytes(compact) ?? Buffer.alloc(0);
  }

  /** An array's elements, each read by `item`; null for a null array. */
  nullableArray<T>(compact: boolean, item: () => T): T[] | null {
    const n = this.length(compact, true);
    if (n < 0) return null;
    this.entriesLeft -= n;
    if (this.entriesLeft < 0) {
      throw new TributaryError('PAYLOAD_TOO_LARGE', `the request lists more than ${this.maxEntries} entries (names, partitions, groups) in all`);
    }
    const out = new Array<T>(n);
    for (let i = 0; i < n; i++) out[i] = item();
    return out;
  }

  array<T>(compact: boolean, item: () => T): T[] {
    return this.nullableArray(compact, item) ?? [];
  }

  /** Skips a tagged-field section: Tributary reads none of the optional tagged fields. */
  skipTaggedFields(): void {
    const count = this.uvarint();
    for (let i = 0; i < count; i++) {
      this.uvarint(); // tag
      this.take(this.uvarint());
    }
  }
}

function malformed(what: string): TributaryError {
  return new TributaryError('INVALID_REQUEST', `malformed Kafka request: ${what}`);
}
