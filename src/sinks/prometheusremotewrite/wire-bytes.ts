/** Runs on: a sink worker. */
import { DATA_POINTS_FIELD } from '../../otlp/field-numbers.js';
import { I64, LEN, WireReader } from '../../otlp/wire-reader.js';
import { bufferOf } from '../../buffer-of.js';
/**
 * A point's attribute fields as one string of their bytes (tags included), its key among its
 * metric's points: the run of bytes they lie in when side by side, as they are written.
 */
export function attributesKey(buf: Buffer, start: number, end: number, field: number, first: number, last: number, bytes: number): string {
  if (first < 0) return '';
  if (last - first === bytes) return latin1(buf, first, last);
  let key = '';
  const r = new WireReader(buf, start, end);
  while (r.next()) if (r.field === field && r.wireType === LEN) key += latin1(buf, r.tagStart, r.valueEnd);
  return key;
}

/**
 * Whether the fields in `buf[first, last)`, `bytes` of them, are side by side and the bytes
 * `kept`; compared here, byte by byte: they are a few dozen, fewer than a call to compare costs.
 */
export function sameBytes(buf: Uint8Array, first: number, last: number, bytes: number, kept: Uint8Array): boolean {
  if (first < 0) return kept.length === 0;
  if (last - first !== bytes || bytes !== kept.length) return false;
  for (let i = 0; i < bytes; i++) if (buf[first + i] !== kept[i]) return false;
  return true;
}

/**
 * Whether the explicit_bounds fields in `buf[first, last)`, `bytes` of them, hold `bounds`
 * (read as `kept`): as one packed field, the way SDKs write them, compared as numbers, 8 bytes
 * at a time; else byte by byte.
 */
export function sameBounds(view: DataView, buf: Uint8Array, first: number, last: number, bytes: number, bounds: readonly number[], kept: Uint8Array): boolean {
  const packed = bounds.length * 8;
  const lengthBytes = packed < 0x80 ? 1 : 2;
  if (
    first >= 0 &&
    last - first === bytes &&
    bytes === 1 + lengthBytes + packed &&
    packed < 0x4000 &&
    buf[first] === ((7 << 3) | LEN) &&
    (lengthBytes === 1 ? buf[first + 1] === packed : buf[first + 1] === ((packed & 0x7f) | 0x80) && buf[first + 2] === packed >>> 7)
  ) {
    const start = first + 1 + lengthBytes;
    let same = true;
    for (let i = 0; i < bounds.length && same; i++) same = view.getFloat64(start + i * 8, true) === bounds[i];
    if (same) return true;
  }
  return sameBytes(buf, first, last, bytes, kept);
}

export function utf8(buf: Uint8Array, start: number, end: number): string {
  return bufferOf(buf).toString('utf8', start, end);
}

/** Bytes as a string of one character each: a Map key that tells any two byte strings apart. */
export function latin1(buf: Uint8Array, start: number, end: number): string {
  return bufferOf(buf).toString('latin1', start, end);
}

/** A repeated fixed64/double field, packed (one LEN) or not (one I64 per element). */
export function eachFixed64(r: WireReader, visit: (pos: number) => void): void {
  if (r.wireType === I64) visit(r.valueStart);
  else if (r.wireType === LEN) for (let p = r.valueStart; p + 8 <= r.valueEnd; p += 8) visit(p);
}

/** Data points of a gauge, sum or histogram body. */
export function countPoints(buf: Uint8Array, start: number, end: number): number {
  let n = 0;
  const r = new WireReader(buf, start, end);
  while (r.next()) if (r.field === DATA_POINTS_FIELD && r.wireType === LEN) n++;
  return n;
}

