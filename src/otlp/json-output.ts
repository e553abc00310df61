/**
 * Runs on: a sink worker (through protoToJsonBytes).
 *
 * A growing byte buffer that JSON values are written into at a cursor, each the way
 * JSON.stringify writes it, without a JavaScript string per value: numbers digit by digit
 * (64-bit integers from their two 32-bit halves, without BigInt), ids hex-encoded from a table,
 * strings copied from their UTF-8 bytes and escaped only where a byte needs it.
 */
import { isUtf8 } from 'node:buffer';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const ZERO = 0x30;

/** Each byte's two hex digits, as one table lookup per byte. */
const HEX_PAIRS = new Uint8Array(512);
for (let b = 0; b < 256; b++) {
  HEX_PAIRS[2 * b] = '0123456789abcdef'.charCodeAt(b >> 4);
  HEX_PAIRS[2 * b + 1] = '0123456789abcdef'.charCodeAt(b & 15);
}

/** "00" to "99": numbers are written two digits per division. */
const DIGIT_PAIRS = Buffer.from(Array.from({ length: 100 }, (_, i) => String(i).padStart(2, '0')).join(''), 'latin1');

/** The escape JSON.stringify writes for each byte below 0x20 (`\n`, `\u001f`, ...). */
const CONTROL_ESCAPES = Array.from({ length: 0x20 }, (_, b) => Buffer.from(JSON.stringify(String.fromCharCode(b)).slice(1, -1), 'latin1'));

/** Decimal digits of a 32-bit unsigned integer. */
function digitCount(n: number): number {
  let count = 1;
  for (let limit = 10; n >= limit && count < 10; limit *= 10) count++;
  return count;
}

/**
 * `n / d` rounded down, for integers `n` below 2^53: the rounded quotient, corrected by one where
 * rounding carried it across an integer. Unlike `%` on numbers past 2^31 (a call to fmod), it
 * stays in the CPU's own arithmetic.
 */
function quotient(n: number, d: number): number {
  const q = Math.floor(n / d);
  const rest = n - q * d;
  return rest < 0 ? q - 1 : rest >= d ? q + 1 : q;
}

export class JsonOutput {
  buf: Buffer;
  pos = 0;

  constructor(size: number) {
    this.buf = Buffer.allocUnsafe(size);
  }

  bytes(): Buffer {
    return this.buf.subarray(0, this.pos);
  }

  /** Room for `extra` more bytes at the cursor. */
  ensure(extra: number): void {
    if (this.pos + extra > this.buf.length) this.grow(extra);
  }

  private grow(extra: number): void {
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + extra));
    this.buf.copy(bigger, 0, 0, this.pos);
    this.buf = bigger;
  }

  byte(b: number): void {
    this.ensure(1);
    this.buf[this.pos++] = b;
  }

  /** Text known to be ASCII (base64, JSON.stringify's numbers). */
  ascii(text: string): void {
    const n = text.length;
    this.ensure(n);
    // A call into Buffer.write costs more than copying a short string's char codes.
    if (n < 32) for (let i = 0; i < n; i++) this.buf[this.pos++] = text.charCodeAt(i);
    else this.pos += this.buf.write(text, this.pos, 'latin1');
  }

  /** Bytes as they are (JSON keys made once). */
  raw(src: Uint8Array): void {
    const n = src.length;
    this.ensure(n);
    // A loop the compiler inlines: buf.set() is a call that costs more than these few bytes.
    const buf = this.buf;
    let pos = this.pos;
    for (let i = 0; i < n; i++) buf[pos++] = src[i];
    this.pos = pos;
  }

  /** `src[start, end)` as a quoted hex string. */
  hex(src: Buffer, start: number, end: number): void {
    this.ensure(2 + 2 * (end - start));
    const buf = this.buf;
    let pos = this.pos;
    buf[pos++] = QUOTE;
    for (let p = start; p < end; p++) {
      const i = src[p] << 1;
      buf[pos++] = HEX_PAIRS[i];
      buf[pos++] = HEX_PAIRS[i + 1];
    }
    buf[pos++] = QUOTE;
    this.pos = pos;
  }

  /** The UTF-8 string in `src[start, end)` as JSON.stringify writes the string it decodes to. */
  string(src: Buffer, start: number, end: number): void {
    const at = this.pos;
    this.ensure(end - start + 2);
    this.buf[this.pos++] = QUOTE;
    let p = start;
    while (p < end) {
      const b = src[p];
      if (b >= 0x20 && b !== QUOTE && b !== BACKSLASH && b < 0x80) {
        p++;
        continue;
      }
      // Invalid UTF-8 decodes to U+FFFD: left to the decoder (the bytes before p are ASCII).
      if (!isUtf8(src.subarray(p, end))) {
        this.pos = at;
        this.utf8(JSON.stringify(src.toString('utf8', start, end)));
        return;
      }
      // Valid UTF-8 needs escapes only at ASCII bytes: from here on, byte by byte.
      this.copy(src, start, p);
      this.escaped(src, p, end);
      this.buf[this.pos++] = QUOTE;
      return;
    }
    this.copy(src, start, end);
    this.buf[this.pos++] = QUOTE;
  }

  /** Valid UTF-8 with a quote, backslash or control character in it. */
  private escaped(src: Buffer, start: number, end: number): void {
    for (let p = start; p < end; p++) {
      const b = src[p];
      if (b === QUOTE || b === BACKSLASH) {
        this.ensure(end - p + 2);
        this.buf[this.pos++] = BACKSLASH;
        this.buf[this.pos++] = b;
      } else if (b < 0x20) {
        const sequence = CONTROL_ESCAPES[b];
        this.ensure(end - p + sequence.length + 1);
        for (let i = 0; i < sequence.length; i++) this.buf[this.pos++] = sequence[i];
      } else this.buf[this.pos++] = b;
    }
  }

  /** `src[start, end)` copied; room already made. */
  private copy(src: Buffer, start: number, end: number): void {
    if (end - start < 32) {
      const buf = this.buf;
      let pos = this.pos;
      for (let p = start; p < end; p++) buf[pos++] = src[p];
      this.pos = pos;
    } else this.pos += src.copy(this.buf, this.pos, start, end);
  }

  private utf8(text: string): void {
    this.ensure(Buffer.byteLength(text));
    this.pos += this.buf.write(text, this.pos, 'utf8');
  }

  /**
   * A finite number as JSON.stringify writes it; NaN and the infinities, which JSON has no literal
   * for, as protobuf's JSON mapping writes them: "NaN", "Infinity", "-Infinity" (null reads as 0).
   */
  number(n: number): void {
    if (n >= 0 && n <= 0xffffffff && Number.isInteger(n)) this.uint32(n);
    else if (n < 0 && n >= -0xffffffff && Number.isInteger(n)) {
      this.byte(0x2d);
      this.uint32(-n);
    } else this.ascii(Number.isFinite(n) ? String(n) : `"${n}"`);
  }

  /** An unsigned 32-bit integer's digits. */
  uint32(n: number): void {
    this.ensure(10);
    if (n <= 0x7fffffff) this.digits(n, digitCount(n));
    else {
      // Past int32: split at 10^9 (the quotient, below 5, is exact).
      const high = Math.floor(n / 1e9);
      this.digits(high, 1);
      this.digits(n - high * 1e9, 9);
    }
  }

  /** The unsigned 64-bit integer `hi * 2^32 + lo` (halves unsigned), quoted, as OTLP JSON writes 64-bit integers. */
  uint64(lo: number, hi: number): void {
    this.ensure(22);
    this.buf[this.pos++] = QUOTE;
    this.unquotedUint64(lo, hi);
    this.buf[this.pos++] = QUOTE;
  }

  /** The signed 64-bit integer with two's complement halves `lo`, `hi` (unsigned), quoted. */
  int64(lo: number, hi: number): void {
    if (hi < 0x80000000) {
      this.uint64(lo, hi);
      return;
    }
    this.ensure(23);
    this.buf[this.pos++] = QUOTE;
    this.buf[this.pos++] = 0x2d;
    // Negated: the bits inverted, plus one (carried into the high half when the low one wraps).
    const negLo = (~lo + 1) >>> 0;
    this.unquotedUint64(negLo, (~hi + (negLo === 0 ? 1 : 0)) >>> 0);
    this.buf[this.pos++] = QUOTE;
  }

  /**
   * Below 2^53 the value is an exact double; above, it is split into three base-10^7 digits from
   * its 24-bit pieces (2^24 = 1·10^7 + 6777216, 2^48 = 28147497·10^7 + 6710656), all exact in
   * doubles, and each quotient below 2^45, where dividing and rounding down is exact.
   */
  private unquotedUint64(lo: number, hi: number): void {
    if (hi <= 0x1fffff) {
      const n = hi * 0x100000000 + lo;
      if (n <= 0xffffffff) this.uint32(n);
      else {
        const high = quotient(n, 1e7);
        this.digits(high, digitCount(high));
        this.digits(n - high * 1e7, 7);
      }
      return;
    }
    const low = lo & 0xffffff;
    const mid = ((lo >>> 24) | (hi << 8)) & 0xffffff;
    const high = (hi >>> 16) & 0xffff;
    const a = low + mid * 6777216 + high * 6710656;
    const aCarry = Math.floor(a / 1e7);
    const b = mid + high * 8147497 + aCarry;
    const bCarry = Math.floor(b / 1e7);
    const c = high * 2 + bCarry;
    // c > 0: the value is at least 2^53.
    this.digits(c, digitCount(c));
    this.digits(b - bCarry * 1e7, 7);
    this.digits(a - aCarry * 1e7, 7);
  }

  /**
   * The last `count` digits of `n` (an integer below 2^31), zero-padded. As an int32, `n / 100 | 0`
   * compiles to a multiply, not a division.
   */
  private digits(n: number, count: number): void {
    const buf = this.buf;
    let pos = this.pos + count;
    this.pos = pos;
    let v = n | 0;
    for (; count >= 2; count -= 2) {
      const q = (v / 100) | 0;
      const pair = (v - q * 100) << 1;
      buf[--pos] = DIGIT_PAIRS[pair + 1];
      buf[--pos] = DIGIT_PAIRS[pair];
      v = q;
    }
    if (count === 1) buf[--pos] = ZERO + v;
  }
}
