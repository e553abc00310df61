/**
 * Runs on: main thread.
 *
 * Writes Kafka's protocol primitives into one growing buffer; `finish()` returns the bytes
 * written. A bytes field of EXTERNAL_BYTES or more (a Fetch's record batches) is not copied:
 * it becomes a chunk of its own between the encoded pieces, which `chunks()` returns in order for
 * one gathered socket write, so a response's batches leave as the log handed them over. A writer
 * given `maxBytes` throws PAYLOAD_TOO_LARGE before it would hold more: an answer over the
 * listener's limit is refused as it is encoded, not once it is whole.
 */
import { TributaryError } from '../../errors.js';

/** A bytes value at least this long is referenced, not copied. */
const EXTERNAL_BYTES = 16 * 1024;

export class KafkaWriter {
  private buf: Buffer;
  private pos = 0;
  /** The pieces before the current one: encoded bytes and referenced values, in order. */
  private readonly done: Uint8Array[] = [];
  /** Where the current piece starts in `buf`. */
  private pieceStart = 0;
  private doneBytes = 0;

  constructor(
    initialSize = 256,
    private readonly maxBytes = Number.POSITIVE_INFINITY,
  ) {
    this.buf = Buffer.allocUnsafe(initialSize);
  }

  /** Throws before the bytes written would pass `maxBytes`. */
  private allow(n: number): void {
    if (this.length + n > this.maxBytes) throw new TributaryError('PAYLOAD_TOO_LARGE', `the bytes written would be over ${this.maxBytes}`);
  }

  /** Reserves `n` bytes and returns where they start; read `this.buf` only after it (it may grow). */
  private room(n: number): number {
    this.allow(n);
    if (this.pos + n > this.buf.length) {
      // Only the current piece moves; the pieces before it keep their views of the old buffer.
      const piece = this.pos - this.pieceStart;
      const grown = Buffer.allocUnsafe(Math.max(Math.min(this.buf.length * 2, this.maxBytes), piece + n));
      this.buf.copy(grown, 0, this.pieceStart, this.pos);
      this.buf = grown;
      this.pos = piece;
      this.pieceStart = 0;
    }
    const at = this.pos;
    this.pos += n;
    return at;
  }

  /** Every byte written, in one buffer (copied together when values were referenced). */
  finish(): Buffer {
    if (this.done.length === 0) return this.buf.subarray(0, this.pos);
    return Buffer.concat(this.chunks(), this.length);
  }

  /** Every byte written as the pieces to send one after the other; the first holds at least the first 4 bytes written. */
  chunks(): Uint8Array[] {
    return [...this.done, this.buf.subarray(this.pieceStart, this.pos)];
  }

  /** Bytes written in all. */
  get length(): number {
    return this.doneBytes + this.pos - this.pieceStart;
  }

  /** Overwrites the int32 written first (a frame's size prefix; it must not be a referenced value). */
  patchInt32AtStart(v: number): void {
    const first = this.done.length > 0 ? this.done[0] : this.buf;
    Buffer.from(first.buffer, first.byteOffset, 4).writeInt32BE(v, 0);
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

  private lengthPrefix(n: number, compact: boolean, wide: boolean): void {
    if (compact) this.uvarint(n + 1);
    else if (wide) this.int32(n);
    else this.int16(n);
  }

  nullableString(v: string | null | undefined, compact: boolean): void {
    if (v === null || v === undefined) {
      this.lengthPrefix(-1, compact, false);
      return;
    }
    const n = Buffer.byteLength(v, 'utf8');
    this.lengthPrefix(n, compact, false);
    const at = this.room(n);
    this.buf.write(v, at, n, 'utf8');
  }

  string(v: string | null | undefined, compact: boolean): void {
    this.nullableString(v ?? '', compact);
  }

  nullableBytes(v: Uint8Array | null | undefined, compact: boolean): void {
    if (v === null || v === undefined) {
      this.lengthPrefix(-1, compact, true);
      return;
    }
    this.lengthPrefix(v.length, compact, true);
    if (v.length >= EXTERNAL_BYTES) {
      this.allow(v.length);
      this.pushPiece(this.buf.subarray(this.pieceStart, this.pos));
      this.pushPiece(v);
      this.pieceStart = this.pos;
      return;
    }
    const at = this.room(v.length);
    this.buf.set(v, at);
  }

  private pushPiece(piece: Uint8Array): void {
    if (piece.length === 0) return;
    this.done.push(piece);
    this.doneBytes += piece.length;
  }

  bytes(v: Uint8Array | null | undefined, compact: boolean): void {
    this.nullableBytes(v ?? Buffer.alloc(0), compact);
  }

  nullableArray<T>(items: readonly T[] | null | undefined, compact: boolean, item: (v: T) => void): void {
    if (items === null || items === undefined) {
      this.lengthPrefix(-1, compact, true);
      return;
    }
    this.lengthPrefix(items.length, compact, true);
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
