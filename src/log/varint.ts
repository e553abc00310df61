// Runs on: any thread (shared code with no thread of its own).
/** Zig-zag varints as Kafka's record format uses them (protobuf's sint32/sint64 encoding). */

/** Values whose zig-zag form fits in 31 bits take the integer fast paths below. */
const SMALL = 0x40000000;

export function varintSize(value: number): number {
  if (value >= -SMALL && value < SMALL) {
    const v = ((value << 1) ^ (value >> 31)) >>> 0;
    return v < 0x80 ? 1 : v < 0x4000 ? 2 : v < 0x200000 ? 3 : v < 0x10000000 ? 4 : 5;
  }
  let v = value >= 0 ? value * 2 : -value * 2 - 1;
  let size = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 128);
    size++;
  }
  return size;
}

/** Writes `value` zig-zag encoded at `pos`; returns the position after it. Exact up to 2^52. */
export function writeVarint(buf: Uint8Array, pos: number, value: number): number {
  if (value >= -SMALL && value < SMALL) {
    let v = ((value << 1) ^ (value >> 31)) >>> 0;
    while (v >= 0x80) {
      buf[pos++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    buf[pos++] = v;
    return pos;
  }
  let v = value >= 0 ? value * 2 : -value * 2 - 1;
  while (v >= 0x80) {
    buf[pos++] = (v & 0x7f) | 0x80;
    v = Math.floor(v / 128);
  }
  buf[pos++] = v;
  return pos;
}

/** A cursor over a buffer; reading varints through it avoids allocating a result per call. */
export class VarintReader {
  constructor(
    public buf: Uint8Array,
    public pos: number,
  ) {}

  varint(): number {
    const buf = this.buf;
    // One byte (lengths under 64, deltas, counts) is the common case, two (values under 8 KiB) the next.
    const pos = this.pos;
    if (pos + 1 < buf.length) {
      const low = buf[pos];
      if (low < 0x80) {
        this.pos = pos + 1;
        return (low >>> 1) ^ -(low & 1);
      }
      const high = buf[pos + 1];
      if (high < 0x80) {
        const v = (low & 0x7f) | (high << 7);
        this.pos = pos + 2;
        return (v >>> 1) ^ -(v & 1);
      }
    }
    let result = 0;
    let factor = 1;
    let byte: number;
    do {
      if (this.pos >= buf.length) throw new RangeError('varint runs past the end of the buffer');
      byte = buf[this.pos++];
      result += (byte & 0x7f) * factor;
      factor *= 128;
    } while (byte & 0x80 && factor <= 2 ** 63);
    if (byte & 0x80) throw new RangeError('varint longer than 10 bytes');
    return result % 2 === 0 ? result / 2 : -(result + 1) / 2;
  }
}
