/** Runs on: a sink worker. */
import { I64, VARINT } from '../../otlp/wire-reader.js';
import { WireWriter } from '../../otlp/wire-writer.js';

/**
 * Prometheus remote write 1.0 `WriteRequest` in protobuf (prometheus/prompb/remote.proto,
 * types.proto): timeseries = 1 { labels = 1 { name = 1, value = 2 }, samples = 2 { value = 1
 * (double), timestamp = 2 (int64 ms) } }, metadata = 3 { type = 1, metric_family_name = 2,
 * help = 4, unit = 5 }.
 */

/** A series as a WriteRequest holds it: its labels, and its samples, a chain through the columns. */
export interface SampledSeries {
  /**
   * Its `labels` fields (TimeSeries field 1), encoded (labelField), sorted by name with
   * `__name__` among them, as remote write receivers expect.
   */
  readonly labels: Buffer;
  /** Its first sample; each sample's `next` is the one after it in time, -1 after the last. */
  readonly head: number;
  /** Its samples' encoded size (sampleBytes of each). */
  readonly sampleBytes: number;
}

/** The series of a WriteRequest, in order, and their samples in columns: value, time (ms), next. */
export interface SeriesSamples {
  series: readonly SampledSeries[];
  values: Float64Array;
  times: Float64Array;
  next: Int32Array;
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

/** One sample's bytes in a TimeSeries: its tag and length (one byte each: a sample is at most 20 bytes), the value's tag and 8 bytes, the time's tag and varint. */
export function sampleBytes(ms: number): number {
  return 2 + 1 + 8 + 1 + timestampSize(ms);
}

/** The WriteRequest's bytes: series (their labels already encoded, then their samples), then metadata. */
export function encodeWriteRequest(samples: SeriesSamples, metadata: readonly MetricMetadata[] = []): Buffer {
  const { series, values, times, next } = samples;
  let total = 0;
  for (let s = 0; s < series.length; s++) {
    const length = series[s].labels.length + series[s].sampleBytes;
    total += 1 + varintSize(length) + length;
  }
  const meta = new WireWriter(1024);
  for (const m of metadata) {
    meta.begin(3).tag(1, VARINT).uvarint(m.type);
    meta.tag(2, 2).string(m.family).tag(4, 2).string(m.help).tag(5, 2).string(m.unit).end();
  }
  const metaBytes = meta.finish();
  const out = Buffer.allocUnsafeSlow(total + metaBytes.length);
  // The values' bytes as they lie in their column: a double's 8 bytes, little-endian as the wire wants (as Buffer.writeDoubleLE does, without its checks).
  const valueBytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  let pos = 0;
  for (let s = 0; s < series.length; s++) {
    const { labels, head } = series[s];
    out[pos++] = (1 << 3) | 2;
    pos = putVarint(out, pos, labels.length + series[s].sampleBytes);
    out.set(labels, pos);
    pos += labels.length;
    for (let i = head; i >= 0; i = next[i]) {
      const ms = Math.trunc(times[i]);
      out[pos] = (2 << 3) | 2;
      out[pos + 1] = 1 + 8 + 1 + timestampSize(ms);
      out[pos + 2] = (1 << 3) | I64;
      const v = i * 8;
      out[pos + 3] = valueBytes[v];
      out[pos + 4] = valueBytes[v + 1];
      out[pos + 5] = valueBytes[v + 2];
      out[pos + 6] = valueBytes[v + 3];
      out[pos + 7] = valueBytes[v + 4];
      out[pos + 8] = valueBytes[v + 5];
      out[pos + 9] = valueBytes[v + 6];
      out[pos + 10] = valueBytes[v + 7];
      out[pos + 11] = (2 << 3) | VARINT;
      pos += 12;
      // Times before 1970 are negative int64s: ten bytes of two's complement.
      if (ms >= 0) pos = putVarint(out, pos, ms);
      else for (const byte of negativeVarint(ms)) out[pos++] = byte;
    }
  }
  out.set(metaBytes, pos);
  return out;
}

/** Writes a varint of `value` (0 to 2^53); past 2^28, as 28 low bits and the rest, so that no step divides. */
function putVarint(out: Buffer, pos: number, value: number): number {
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

function varintSize(value: number): number {
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

function timestampSize(ms: number): number {
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
