// Runs on: any thread (shared code with no thread of its own).
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

/** Slices shorter than this are moved by a loop: `copyWithin` costs a call into C++ each. */
const SHORT_MOVE = 32;

/** Moves `buf[from, end)` down to `to` (never up); returns the end of the moved bytes. */
function move(buf: Buffer, from: number, end: number, to: number): number {
  if (to === from) return to + end - from;
  if (end - from < SHORT_MOVE) {
    for (let i = from; i < end; i++) buf[to++] = buf[i];
    return to;
  }
  buf.copyWithin(to, from, end);
  return to + end - from;
}

/**
 * A growable protobuf writer for messages built from values (JSON conversion, responses).
 * Nested messages reserve room for their length and, once their size is known, write it there;
 * the room it did not use is a gap that `finish` closes, every byte moved once, so the output is
 * canonical (shortest varints) without a sizing pass. (Closing each gap at once moved a message's
 * content once per enclosing message: deep nesting made that quadratic.)
 */
export class WireWriter {
  private buf: Buffer;
  private pos = 0;
  /** Per nested message, in the order they begin (so by position): where its length goes, and its gap. */
  private readonly lengthAt: number[] = [];
  private readonly gap: number[] = [];
  /** The open messages: their index in `lengthAt`, and the gap bytes before their content closed. */
  private readonly open: number[] = [];
  private readonly gapsBefore: number[] = [];
  private gapBytes = 0;

  constructor(initialSize = 1024) {
    this.buf = Buffer.allocUnsafe(initialSize);
  }

  finish(): Uint8Array {
    const buf = this.buf;
    let to = 0;
    let from = 0;
    for (let i = 0; i < this.lengthAt.length; i++) {
      const gapEnd = this.lengthAt[i] + MAX_SHIFT;
      const gapStart = gapEnd - this.gap[i];
      to = move(buf, from, gapStart, to);
      from = gapEnd;
    }
    to = move(buf, from, this.pos, to);
    this.lengthAt.length = 0;
    this.gap.length = 0;
    this.gapBytes = 0;
    this.pos = to;
    return buf.subarray(0, to);
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

  /** Copies bytes already encoded (whole fields, tags included) as they are. */
  raw(encoded: Uint8Array): this {
    this.ensure(encoded.length);
    this.buf.set(encoded, this.pos);
    this.pos += encoded.length;
    return this;
  }

  /** Starts a nested message (or packed field) in `field`; close it with `end()`. */
  begin(field: number): this {
    this.tag(field, LEN);
    this.ensure(MAX_SHIFT);
    this.open.push(this.lengthAt.length);
    this.gapsBefore.push(this.gapBytes);
    this.lengthAt.push(this.pos);
    this.gap.push(0);
    this.pos += MAX_SHIFT;
    return this;
  }

  end(): this {
    const i = this.open.pop()!;
    const lengthAt = this.lengthAt[i];
    // The content's length once the gaps of the messages inside it are closed.
    const length = this.pos - lengthAt - MAX_SHIFT - (this.gapBytes - this.gapsBefore.pop()!);
    const gap = lengthAt + MAX_SHIFT - putVarint(this.buf, lengthAt, length);
    this.gap[i] = gap;
    this.gapBytes += gap;
    return this;
  }

  private ensure(extra: number): void {
    if (this.pos + extra <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + extra));
    this.buf.copy(bigger, 0, 0, this.pos);
    this.buf = bigger;
  }
}
