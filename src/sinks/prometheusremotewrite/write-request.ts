/** Runs on: a sink worker. */
import { I64, VARINT } from '../../otlp/wire-reader.js';
import { WireWriter } from '../../otlp/wire-writer.js';

/**
 * Prometheus remote write 1.0 `WriteRequest` in protobuf (prometheus/prompb/remote.proto,
 * types.proto): timeseries = 1 { labels = 1 { name = 1, value = 2 }, samples = 2 { value = 1
 * (double), timestamp = 2 (int64 ms) } }, metadata = 3 { type = 1, metric_family_name = 2,
 * help = 4, unit = 5 }.
 */

export interface Label {
  name: string;
  value: string;
}

export interface TimeSeries {
  /** Sorted by name, `__name__` among them, as remote write receivers expect. */
  labels: Label[];
  /** Sample values and their times (ms), side by side, in time order. */
  values: number[];
  timestamps: number[];
}

/** prompb MetricMetadata.MetricType */
export const METRIC_TYPE = { counter: 1, gauge: 2, histogram: 3, summary: 5 } as const;

export interface MetricMetadata {
  type: number;
  family: string;
  help: string;
  unit: string;
}

/**
 * The WriteRequest's bytes, sized in a first pass so that every length prefix is written once in
 * place (no nested-message shuffling) and label text is written straight into the buffer.
 */
export function encodeWriteRequest(timeseries: readonly TimeSeries[], metadata: readonly MetricMetadata[] = []): Uint8Array {
  // Pass 1: byte lengths of every string, label, sample and series, in order.
  const lengths: number[] = [];
  let total = 0;
  for (const series of timeseries) {
    const seriesAt = lengths.push(0) - 1;
    let seriesLength = 0;
    for (const label of series.labels) {
      const name = textLength(label.name);
      const value = textLength(label.value);
      lengths.push(name, value);
      const labelLength = 1 + varintSize(name) + name + 1 + varintSize(value) + value;
      seriesLength += 1 + varintSize(labelLength) + labelLength;
    }
    for (let i = 0; i < series.values.length; i++) {
      const sampleLength = 1 + 8 + 1 + timestampSize(series.timestamps[i]);
      seriesLength += 1 + varintSize(sampleLength) + sampleLength;
    }
    lengths[seriesAt] = seriesLength;
    total += 1 + varintSize(seriesLength) + seriesLength;
  }
  const meta = new WireWriter(1024);
  for (const m of metadata) {
    meta.begin(3).tag(1, VARINT).uvarint(m.type);
    meta.tag(2, 2).string(m.family).tag(4, 2).string(m.help).tag(5, 2).string(m.unit).end();
  }
  const metaBytes = meta.finish();
  // Pass 2: the bytes.
  const out = Buffer.allocUnsafe(total + metaBytes.length);
  let pos = 0;
  let l = 0;
  const varint = (value: number) => {
    while (value >= 0x80) {
      out[pos++] = (value & 0x7f) | 0x80;
      value = Math.floor(value / 128);
    }
    out[pos++] = value;
  };
  const text = (value: string, length: number) => {
    varint(length);
    if (length === value.length && length < 64) for (let i = 0; i < length; i++) out[pos++] = value.charCodeAt(i);
    else pos += out.write(value, pos, length, 'utf8');
  };
  for (const series of timeseries) {
    out[pos++] = (1 << 3) | 2;
    varint(lengths[l++]);
    for (const label of series.labels) {
      const name = lengths[l++];
      const value = lengths[l++];
      out[pos++] = (1 << 3) | 2;
      varint(1 + varintSize(name) + name + 1 + varintSize(value) + value);
      out[pos++] = (1 << 3) | 2;
      text(label.name, name);
      out[pos++] = (2 << 3) | 2;
      text(label.value, value);
    }
    for (let i = 0; i < series.values.length; i++) {
      const ms = Math.trunc(series.timestamps[i]);
      out[pos++] = (2 << 3) | 2;
      varint(1 + 8 + 1 + timestampSize(ms));
      out[pos++] = (1 << 3) | I64;
      pos = out.writeDoubleLE(series.values[i], pos);
      out[pos++] = (2 << 3) | VARINT;
      // Times before 1970 are negative int64s: ten bytes of two's complement.
      if (ms >= 0) varint(ms);
      else for (const byte of negativeVarint(ms)) out[pos++] = byte;
    }
  }
  out.set(metaBytes, pos);
  return out;
}

/** UTF-8 length; a string of char codes under 0x80 is as long as it has characters. */
function textLength(value: string): number {
  for (let i = 0; i < value.length; i++) if (value.charCodeAt(i) >= 0x80) return Buffer.byteLength(value);
  return value.length;
}

function varintSize(value: number): number {
  let size = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 128);
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
