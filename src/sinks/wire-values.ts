/**
 * Runs on: a sink worker.
 *
 * OTLP values read straight from the protobuf wire, as the sinks need them (Prometheus labels,
 * the debug summary): attribute values as text, timestamps in milliseconds.
 */
import { bufferOf } from '../buffer-of.js';
import { FIELD } from '../otlp/schema.js';
import { I64, LEN, VARINT, WireReader } from '../otlp/wire-reader.js';

/** A double (fixed 8 bytes, little-endian) at `pos`. */
export function doubleAt(buf: Uint8Array, pos: number): number {
  return bufferOf(buf).readDoubleLE(pos);
}

/** A fixed64 at `pos`, exact up to 2^53. */
export function uint64At(buf: Uint8Array, pos: number): number {
  return uint32At(buf, pos + 4) * 4294967296 + uint32At(buf, pos);
}

/** An sfixed64 at `pos`, exact within ±2^53. */
export function int64At(buf: Uint8Array, pos: number): number {
  return (buf[pos + 4] | (buf[pos + 5] << 8) | (buf[pos + 6] << 16) | (buf[pos + 7] << 24)) * 4294967296 + uint32At(buf, pos);
}

/** A fixed32 at `pos`, read byte by byte: no Buffer method (and its checks) per number. */
function uint32At(buf: Uint8Array, pos: number): number {
  return (buf[pos] | (buf[pos + 1] << 8) | (buf[pos + 2] << 16)) + buf[pos + 3] * 16777216;
}

/** A KeyValue's key and its value as text (anyValueTextAt). */
export function keyValueAt(buf: Uint8Array, start: number, end: number): [string, string] {
  let key = '';
  let value = '';
  const r = new WireReader(buf, start, end);
  while (r.next()) {
    if (r.wireType !== LEN) continue;
    if (r.field === FIELD.KeyValue.key) key = bufferOf(buf).toString('utf8', r.valueStart, r.valueEnd);
    else if (r.field === FIELD.KeyValue.value) value = anyValueTextAt(buf, r.valueStart, r.valueEnd);
  }
  return [key, value];
}

/**
 * An AnyValue as one string: scalars as they read (64-bit integers exactly, bytes in base64),
 * arrays and maps as JSON of their values' text. Empty when no value is set.
 */
export function anyValueTextAt(buf: Uint8Array, start: number, end: number): string {
  let text = '';
  const r = new WireReader(buf, start, end);
  while (r.next()) {
    switch (r.field) {
      case FIELD.AnyValue.stringValue:
        if (r.wireType === LEN) text = bufferOf(buf).toString('utf8', r.valueStart, r.valueEnd);
        break;
      case FIELD.AnyValue.boolValue:
        if (r.wireType === VARINT) text = r.varint !== 0 ? 'true' : 'false';
        break;
      case FIELD.AnyValue.intValue:
        if (r.wireType === VARINT) text = int64VarintText(buf, r.valueStart, r.valueEnd, r.varint);
        break;
      case FIELD.AnyValue.doubleValue:
        if (r.wireType === I64) text = String(bufferOf(buf).readDoubleLE(r.valueStart));
        break;
      case FIELD.AnyValue.arrayValue:
        if (r.wireType === LEN) text = JSON.stringify(listAt(buf, r.valueStart, r.valueEnd, FIELD.ArrayValue.values, (s, e) => anyValueTextAt(buf, s, e)));
        break;
      case FIELD.AnyValue.kvlistValue:
        if (r.wireType === LEN) text = JSON.stringify(Object.fromEntries(listAt(buf, r.valueStart, r.valueEnd, FIELD.KeyValueList.values, (s, e) => keyValueAt(buf, s, e))));
        break;
      case FIELD.AnyValue.bytesValue:
        if (r.wireType === LEN) text = bufferOf(buf).toString('base64', r.valueStart, r.valueEnd);
        break;
    }
  }
  return text;
}

/** The elements (`field`) of an ArrayValue or KeyValueList. */
function listAt<T>(buf: Uint8Array, start: number, end: number, field: number, read: (start: number, end: number) => T): T[] {
  const out: T[] = [];
  const r = new WireReader(buf, start, end);
  while (r.next()) if (r.field === field && r.wireType === LEN) out.push(read(r.valueStart, r.valueEnd));
  return out;
}

/** An int64 varint as decimal text; exact past 2^53 and for negative values (ten bytes). */
function int64VarintText(buf: Uint8Array, start: number, end: number, approximate: number): string {
  if (end - start < 8) return String(approximate);
  let value = 0n;
  for (let p = end - 1; p >= start; p--) value = (value << 7n) | BigInt(buf[p] & 0x7f);
  return BigInt.asIntN(64, value).toString();
}

/** A fixed64 time in nanoseconds since the epoch, as whole milliseconds (exact: 2^32 ns = 4294 ms + 967,296 ns). */
export function millisAt(buf: Uint8Array, pos: number): number {
  const high = uint32At(buf, pos + 4);
  const low = uint32At(buf, pos);
  return high * 4294 + Math.floor((high * 967_296 + low) / 1_000_000);
}
