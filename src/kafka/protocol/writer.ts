/**
 * Runs on: main thread.
 *
 * Writes Kafka's protocol primitives into one growing buffer; `finish()` returns the bytes
 * written. A response is encoded once, then written to the socket with its size prefix.
 */
export class KafkaWriter {
  private buf: Buffer;
  pos = 0;

  constructor(initialSize = 256) {
    this.buf = Buffer.allocUnsafe(initialSize);
  }

  /** Reserves `n` bytes and returns where they start; read `this.buf` only after it (it may grow). */
  private room(n: number): number {
    if (this.pos + n > this.buf.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
      this.buf.copy(grown, 0, 0, this.pos);
      this.buf = grown;
    }
    const at = this.pos;
    this.pos += n;
    return at;
  }

  finish(): Buffer {
    return this.buf.subarray(0, this.pos);
  }

  int8(v: number): void {
    const at = this.room(1);
    this.buf.writeInt8(v, at);
  }

  int16(v: number): void {
    const at = this.room(2);
    this.buf.writeInt16BE(v, at);
  }

  uint16(v: number): void {
    const at = this.room(2);
    this.buf.writeUInt16BE(v, at);
  }

  int32(v: number): void {
    const at = this.room(4);
    this.buf.writeInt32BE(v, at);
  }

  uint32(v: number): void {
    const at = this.room(4);
    this.buf.writeUInt32BE(v, at);
  }

  int64(v: number): void {
    const at = this.room(8);
    const high = Math.floor(v / 0x100000000);
    this.buf.writeInt32BE(high, at);
    this.buf.writeUInt32BE(v - high * 0x100000000, at + 4);
  }

  float64(v: number): void {
    const at = this.room(8);
    this.buf.writeDoubleBE(v, at);
  }

  bool(v: boolean): void {
    const at = this.room(1);
    this.buf[at] = v ? 1 : 0;
  }

  uuid(v: Uint8Array): void {
    const at = this.room(16);
    this.buf.fill(0, at, at + 16);
    this.buf.set(v.subarray(0, 16), at);
  }

  uvarint(v: number): void {
    while (v >= 0x80) {
      const at = this.room(1);
      this.buf[at] = (v & 0x7f) | 0x80;
      v = Math.floor(v / 128);
    }
    const at = this.room(1);
    this.buf[at] = v;
  }

  private length(n: number, compact: boolean, wide: boolean): void {
    if (compact) this.uvarint(n + 1);
    else if (wide) this.int32(n);
    else this.int16(n);
  }

  nullableString(v: string | null | undefined, compact: boolean): void {
    if (v === null || v === undefined) {
      this.length(-1, compact, false);
      return;
    }
    const n = Buffer.byteLength(v, 'utf8');
    this.length(n, compact, false);
    const at = this.room(n);
    this.buf.write(v, at, n, 'utf8');
  }

  string(v: string | null | undefined, compact: boolean): void {
    this.nullableString(v ?? '', compact);
  }

  nullableBytes(v: Uint8Array | null | undefined, compact: boolean): void {
    if (v === null || v === undefined) {
      this.length(-1, compact, true);
      return;
    }
    this.length(v.length, compact, true);
    const at = this.room(v.length);
    this.buf.set(v, at);
  }

  bytes(v: Uint8Array | null | undefined, compact: boolean): void {
    this.nullableBytes(v ?? Buffer.alloc(0), compact);
  }

  nullableArray<T>(items: readonly T[] | null | undefined, compact: boolean, item: (v: T) => void): void {
    if (items === null || items === undefined) {
      this.length(-1, compact, true);
      return;
    }
    this.length(items.length, compact, true);
    for (const v of items) item(v);
  }

  array<T>(items: readonly T[] | null | undefined, compact: boolean, item: (v: T) => void): void {
    this.nullableArray(items ?? [], compact, item);
  }

  /** An empty tagged-field section: Tributary sends none of the optional tagged fields. */
  emptyTaggedFields(): void {
    this.uvarint(0);
  }
}
