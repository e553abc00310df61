// Runs on: any thread (shared code with no thread of its own).
import { MalformedOtlpError } from './malformed-otlp.js';

/** Protobuf wire types (https://protobuf.dev/programming-guides/encoding/). */
export const VARINT = 0;
export const I64 = 1;
export const LEN = 2;
export const I32 = 5;

/**
 * Walks the fields of one protobuf message held in `buf[start, end)` without decoding them:
 * after `next()` returns true, `field`, `wireType`, `tagStart` and the value's bounds
 * (`valueStart`, `valueEnd`) describe the current field, and `varint` holds a VARINT's value.
 * Slices of the original bytes are what the splitter reuses, so nothing is copied here.
 */
export class WireReader {
  pos: number;
  field = 0;
  wireType = 0;
  tagStart = 0;
  valueStart = 0;
  valueEnd = 0;
  /** Value of a VARINT field; exact up to 2^53, which covers lengths, enums and counts. */
  varint = 0;
  /** Set when `tryNext` stopped at malformed bytes: what was wrong, and where. */
  problem: string | undefined = undefined;
  problemAt = 0;

  constructor(
    public buf: Uint8Array,
    start: number,
    public end: number,
  ) {
    this.pos = start;
  }

  /** Points the reader at another message, so a loop over many messages can reuse one reader. */
  reset(buf: Uint8Array, start: number, end: number): this {
    this.buf = buf;
    this.pos = start;
    this.end = end;
    this.problem = undefined;
    return this;
  }

  /** Moves to the next field: true, or false at the end. Throws INVALID_REQUEST at malformed bytes. */
  next(): boolean {
    const moved = this.tryNext();
    if (this.problem !== undefined) throw malformed(this.problemAt, this.problem);
    return moved;
  }

  /**
   * As `next`, except that malformed bytes end the walk (false, with `problem` set) instead of
   * throwing: for walks over bytes that may be malformed by the thousand (a hostile request's
   * rejected items), where an Error each would cost its stack trace.
   */
  tryNext(): boolean {
    if (this.pos >= this.end || this.problem !== undefined) return false;
    this.tagStart = this.pos;
    // Tags of fields 1 to 15 and lengths under 128 are one byte: read so without the varint loop.
    let tag = this.buf[this.pos];
    if (tag < 0x80) this.pos++;
    else {
      tag = this.readVarint();
      if (tag < 0) return false;
    }
    this.field = Math.floor(tag / 8);
    this.wireType = tag & 7;
    if (this.field === 0) return this.stop(this.tagStart, 'field number 0');
    switch (this.wireType) {
      case VARINT:
        this.valueStart = this.pos;
        this.varint = this.readVarint();
        if (this.varint < 0) return false;
        break;
      case I64:
        if (!this.skipFixed(8)) return false;
        break;
      case LEN: {
        let length = this.pos < this.end ? this.buf[this.pos] : 0x80;
        if (length < 0x80) this.pos++;
        else {
          length = this.readVarint();
          if (length < 0) return false;
        }
        this.valueStart = this.pos;
        if (length > this.end - this.pos) return this.stop(this.tagStart, `field ${this.field} runs past the end of its message`);
        this.pos += length;
        break;
      }
      case I32:
        if (!this.skipFixed(4)) return false;
        break;
      default:
        return this.stop(this.tagStart, `unsupported wire type ${this.wireType} for field ${this.field}`);
    }
    this.valueEnd = this.pos;
    return true;
  }

  /** The bytes of a LEN field's value. */
  bytes(): Uint8Array {
    return this.buf.subarray(this.valueStart, this.valueEnd);
  }

  private stop(at: number, problem: string): false {
    this.problem = problem;
    this.problemAt = at;
    return false;
  }

  private skipFixed(size: number): boolean {
    this.valueStart = this.pos;
    if (size > this.end - this.pos) return this.stop(this.tagStart, `field ${this.field} runs past the end of its message`);
    this.pos += size;
    return true;
  }

  /** A varint's value, or -1 (with `problem` set) when it is cut or longer than 10 bytes. */
  private readVarint(): number {
    const buf = this.buf;
    let result = 0;
    let factor = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) {
        this.stop(this.pos, 'varint runs past the end of its message');
        return -1;
      }
      const byte = buf[this.pos++];
      result += (byte & 0x7f) * factor;
      if ((byte & 0x80) === 0) return result;
      factor *= 128;
    }
    this.stop(this.pos, 'varint longer than 10 bytes');
    return -1;
  }
}

export function malformed(at: number, what: string): MalformedOtlpError {
  return new MalformedOtlpError(`malformed protobuf at byte ${at}: ${what}`, { offset: at });
}

/** Calls `visit` for every field of the message in `buf[start, end)`, reusing one reader. */
export function forEachField(buf: Uint8Array, start: number, end: number, visit: (r: WireReader) => void): void {
  const r = new WireReader(buf, start, end);
  while (r.next()) visit(r);
}

/** Calls `visit` with the bounds and value of each varint of a packed field's bytes. */
export function forEachPackedVarint(buf: Uint8Array, start: number, end: number, visit: (start: number, end: number, value: number) => void): void {
  let p = start;
  while (p < end) {
    const first = p;
    let value = 0;
    let factor = 1;
    for (;;) {
      if (p >= end || p - first >= 10) throw malformed(first, 'bad varint in a packed field');
      const byte = buf[p++];
      value += (byte & 0x7f) * factor;
      factor *= 128;
      if ((byte & 0x80) === 0) break;
    }
    visit(first, p, value);
  }
}
