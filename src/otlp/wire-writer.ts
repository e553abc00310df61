import { LEN } from './wire-reader.js';

export function varintSize(value: number): number {
  let size = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 128);
    size++;
  }
  return size;
}

/** Writes a non-negative varint (exact up to 2^53) at `pos`; returns the position after it. */
export function putVarint(buf: Uint8Array, pos: number, value: number): number {
  while (value >= 0x80) {
    buf[pos++] = (value & 0x7f) | 0x80;
    value = Math.floor(value / 128);
  }
  buf[pos++] = value;
  return pos;
}

const MASK_64 = (1n << 64n) - 1n;
const MAX_SHIFT = 5; // bytes reserved for a nested message's length: up to 2^35

/**
 * A growable protobuf writer for messages built from values (JSON conversion, responses).
 * Nested messages reserve room for their length and move their content back once its size
 * is known, so the output is canonical (shortest varints) without a separate sizing pass.
 */
export class WireWriter {
  private buf: Buffer;
  private pos = 0;
  private readonly open: number[] = [];

  constructor(initialSize = 1024) {
    this.buf = Buffer.allocUnsafe(initialSize);
  }

  finish(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }

  tag(field: number, wireType: number): this {
    return this.uvarint(field * 8 + wireType);
  }

  uvarint(value: number): this {
    this.ensure(10);
    this.pos = putVarint(this.buf, this.pos, value);
    return this;
  }

  /** int64/uint64/int32 varints, negative numbers as 64-bit two's complement. */
  bigVarint(value: bigint): this {
    let v = value & MASK_64;
    this.ensure(10);
    while (v >= 0x80n) {
      this.buf[this.pos++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    this.buf[this.pos++] = Number(v);
    return this;
  }

  zigzag32(value: number): this {
    return this.uvarint(((value << 1) ^ (value >> 31)) >>> 0);
  }

  fixed32(value: number): this {
    this.ensure(4);
    this.buf.writeUInt32LE(value >>> 0, this.pos);
    this.pos += 4;
    return this;
  }

  fixed64(value: bigint): this {
    this.ensure(8);
    this.buf.writeBigUInt64LE(value & MASK_64, this.pos);
    this.pos += 8;
    return this;
  }

  double(value: number): this {
    this.ensure(8);
    this.buf.writeDoubleLE(value, this.pos);
    this.pos += 8;
    return this;
  }

  bytes(value: Uint8Array): this {
    this.uvarint(value.length);
    this.ensure(value.length);
    this.buf.set(value, this.pos);
    this.pos += value.length;
    return this;
  }

  string(value: string): this {
    const max = Buffer.byteLength(value);
    this.uvarint(max);
    this.ensure(max);
    this.pos += this.buf.write(value, this.pos);
    return this;
  }

  /** Starts a nested message (or packed field) in `field`; close it with `end()`. */
  begin(field: number): this {
    this.tag(field, LEN);
    this.ensure(MAX_SHIFT);
    this.open.push(this.pos);
    this.pos += MAX_SHIFT;
    return this;
  }

  end(): this {
    const lengthAt = this.open.pop()!;
    const contentStart = lengthAt + MAX_SHIFT;
    const length = this.pos - contentStart;
    const after = putVarint(this.buf, lengthAt, length);
    if (after < contentStart) this.buf.copyWithin(after, contentStart, this.pos);
    this.pos = after + length;
    return this;
  }

  private ensure(extra: number): void {
    if (this.pos + extra <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + extra));
    this.buf.copy(bigger, 0, 0, this.pos);
    this.buf = bigger;
  }
}
