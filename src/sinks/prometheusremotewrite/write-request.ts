/** Runs on: a sink worker. */
import { I64, VARINT } from '../../otlp/wire-reader.js';
import { WireWriter } from '../../otlp/wire-writer.js';

/**
 * Prometheus remote write 1.0 `WriteRequest` in protobuf (prometheus/prompb/remote.proto,
 * types.proto): timeseries = 1 { labels = 1 { name = 1, value = 2 }, samples = 2 { value = 1
 * (double), timestamp = 2 (int64 ms) } }, metadata = 3 { type = 1, metric_family_name = 2,
 * help = 4, unit = 5 }.
 */

/**
 * A data point's series as TimeSeries of one sample each, side by side: what a point new to a
 * conversion writes, with its values and time put in.
 */
export interface SeriesBlock {
  bytes: Buffer;
  /** Where each series' sample time (its varint) goes in `bytes`; its value goes in the 8 bytes before the time's tag. */
  timeAt: Int32Array;
  /** The bytes of the time's varint it has room for. */
  timeSize: number;
}

/** prompb MetricMetadata.MetricType */
export const METRIC_TYPE = { counter: 1, gauge: 2, histogram: 3, summary: 5 } as const;

export interface MetricMetadata {
  type: number;
  family: string;
  help: string;
  unit: string;
}

/** One `labels` field of a TimeSeries: tag, length, Label { name = 1, value = 2 }. */
export function labelField(name: string, value: string): Buffer {
  const nameLength = textLength(name);
  const valueLength = textLength(value);
  const label = 1 + varintSize(nameLength) + nameLength + 1 + varintSize(valueLength) + valueLength;
  const out = Buffer.allocUnsafe(1 + varintSize(label) + label);
  let pos = 0;
  out[pos++] = (1 << 3) | 2;
  pos = putVarint(out, pos, label);
  out[pos++] = (1 << 3) | 2;
  pos = putVarint(out, pos, nameLength);
  pos += out.write(name, pos, nameLength, 'utf8');
  out[pos++] = (2 << 3) | 2;
  pos = putVarint(out, pos, valueLength);
  out.write(value, pos, valueLength, 'utf8');
  return out;
}

/** The TimeSeries of `labels` (encoded labels each), one sample each, for a time of `timeSize` varint bytes, in `out` (its size: blockBytes). */
export function writeBlock(out: Buffer, labels: readonly Buffer[], timeSize: number): SeriesBlock {
  const timeAt = new Int32Array(labels.length);
  const sample = 2 + 1 + 8 + 1 + timeSize;
  let pos = 0;
  for (let i = 0; i < labels.length; i++) {
    out[pos++] = (1 << 3) | 2;
    pos = putVarint(out, pos, labels[i].length + sample);
    pos += labels[i].copy(out, pos);
    out[pos] = (2 << 3) | 2;
    out[pos + 1] = sample - 2;
    out[pos + 2] = (1 << 3) | I64;
    out[pos + 11] = (2 << 3) | VARINT;
    timeAt[i] = pos + 12;
    pos += sample;
  }
  return { bytes: out, timeAt, timeSize };
}

/** The size of writeBlock's bytes. */
export function blockBytes(labels: readonly Buffer[], timeSize: number): number {
  let size = 0;
  for (const l of labels) {
    const length = l.length + 2 + 1 + 8 + 1 + timeSize;
    size += 1 + varintSize(length) + length;
  }
  return size;
}

/** The metadata fields of a WriteRequest. */
export function encodeMetadata(metadata: readonly MetricMetadata[]): Uint8Array {
  const meta = new WireWriter(1024);
  for (const m of metadata) {
    meta.begin(3).tag(1, VARINT).uvarint(m.type);
    meta.tag(2, 2).string(m.family).tag(4, 2).string(m.help).tag(5, 2).string(m.unit).end();
  }
  return meta.finish();
}

/** A time (ms) as an int64 varint at `pos`; returns its size. Times before 1970 are negative: ten bytes of two's complement. */
export function writeTimestamp(out: Uint8Array, pos: number, ms: number): number {
  const whole = Math.trunc(ms);
  if (whole >= 0) return putVarint(out, pos, whole) - pos;
  const bytes = negativeVarint(whole);
  out.set(bytes, pos);
  return bytes.length;
}

/** One sample's bytes in a TimeSeries: its tag and length (one byte each: a sample is at most 20 bytes), the value's tag and 8 bytes, the time's tag and varint. */
export function sampleBytes(ms: number): number {
  return 2 + 1 + 8 + 1 + timestampSize(ms);
}

/** Writes a varint of `value` (0 to 2^53); past 2^28, as 28 low bits and the rest, so that no step divides. */
export function putVarint(out: Uint8Array, pos: number, value: number): number {
  if (value >= 0x10000000) {
    const high = Math.floor(value / 0x10000000);
    const low = value - high * 0x10000000;
    out[pos++] = (low & 0x7f) | 0x80;
    out[pos++] = ((low >>> 7) & 0x7f) | 0x80;
    out[pos++] = ((low >>> 14) & 0x7f) | 0x80;
    out[pos++] = ((low >>> 21) & 0x7f) | 0x80;
    value = high;
  }
  while (value >= 0x80) {
    out[pos++] = (value & 0x7f) | 0x80;
    value >>>= 7;
  }
  out[pos++] = value;
  return pos;
}

/** UTF-8 length; a string of char codes under 0x80 is as long as it has characters. */
function textLength(value: string): number {
  for (let i = 0; i < value.length; i++) if (value.charCodeAt(i) >= 0x80) return Buffer.byteLength(value);
  return value.length;
}

export function varintSize(value: number): number {
  let size = 1;
  if (value >= 0x10000000) {
    value = Math.floor(value / 0x10000000);
    size = 5;
  }
  while (value >= 0x80) {
    value >>>= 7;
    size++;
  }
  return size;
}

export function timestampSize(ms: number): number {
  return ms >= 0 ? varintSize(Math.trunc(ms)) : 10;
}

function negativeVarint(ms: number): number[] {
  let v = BigInt.asUintN(64, BigInt(ms));
  const bytes: number[] = [];
  while (v >= 0x80n) {
    bytes.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  bytes.push(Number(v));
  return bytes;
}
