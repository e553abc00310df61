/** Runs on: a sink worker. */
/**
 * Snappy block format encoder (github.com/google/snappy, format_description.txt), the
 * compression Prometheus remote write requires: a varint of the uncompressed length, then
 * literals and back-references found with a hash of the next four bytes.
 */

const MIN_MATCH = 4;
const MAX_OFFSET = 65_535;
const HASH_BITS = 14;

function hash4(src: Uint8Array, i: number): number {
  const v = src[i] | (src[i + 1] << 8) | (src[i + 2] << 16) | (src[i + 3] << 24);
  return Math.imul(v, 0x1e35a7bd) >>> (32 - HASH_BITS);
}

class Output {
  buf: Uint8Array;
  pos = 0;
  constructor(capacity: number) {
    this.buf = new Uint8Array(capacity);
  }
  byte(b: number): void {
    this.buf[this.pos++] = b;
  }
  uvarint(value: number): void {
    while (value >= 0x80) {
      this.byte((value & 0x7f) | 0x80);
      value = Math.floor(value / 128);
    }
    this.byte(value);
  }
  literal(src: Uint8Array, start: number, end: number): void {
    const n = end - start - 1;
    if (n < 0) return;
    if (n < 60) this.byte(n << 2);
    else {
      const bytes = n < 0x100 ? 1 : n < 0x10000 ? 2 : n < 0x1000000 ? 3 : 4;
      this.byte((59 + bytes) << 2);
      for (let i = 0; i < bytes; i++) this.byte((n >>> (8 * i)) & 0xff);
    }
    this.buf.set(src.subarray(start, end), this.pos);
    this.pos += end - start;
  }
  copy(offset: number, length: number): void {
    // Copies of up to 64 bytes with a two-byte offset; longer matches are split.
    while (length > 0) {
      let chunk = Math.min(length, 64);
      if (length - chunk > 0 && length - chunk < MIN_MATCH) chunk = length - MIN_MATCH;
      if (chunk >= 4 && chunk <= 11 && offset < 2048) {
        this.byte(((offset >>> 8) << 5) | ((chunk - 4) << 2) | 1);
        this.byte(offset & 0xff);
      } else {
        this.byte(((chunk - 1) << 2) | 2);
        this.byte(offset & 0xff);
        this.byte(offset >>> 8);
      }
      length -= chunk;
    }
  }
}

export function snappyCompress(src: Uint8Array): Buffer {
  // Worst case: every byte a literal, plus tag bytes and the length preamble.
  const out = new Output(32 + src.length + Math.ceil(src.length / 6));
  out.uvarint(src.length);
  const table = new Int32Array(1 << HASH_BITS).fill(-1);
  let literalStart = 0;
  let i = 0;
  const limit = src.length - MIN_MATCH;
  while (i <= limit) {
    const h = hash4(src, i);
    const candidate = table[h];
    table[h] = i;
    if (
      candidate >= 0 &&
      i - candidate <= MAX_OFFSET &&
      src[candidate] === src[i] &&
      src[candidate + 1] === src[i + 1] &&
      src[candidate + 2] === src[i + 2] &&
      src[candidate + 3] === src[i + 3]
    ) {
      out.literal(src, literalStart, i);
      let length = MIN_MATCH;
      while (i + length < src.length && src[candidate + length] === src[i + length]) length++;
      out.copy(i - candidate, length);
      i += length;
      literalStart = i;
    } else {
      i++;
    }
  }
  out.literal(src, literalStart, src.length);
  return Buffer.from(out.buf.buffer, out.buf.byteOffset, out.pos);
}
