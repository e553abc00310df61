/**
 * Runs on: a sink worker.
 *
 * The series and samples of one conversion, written as the WriteRequest's TimeSeries as they
 * come: a series seen for the first time is written at once, labels and one sample, into one
 * growing buffer; a data point's series together as one block, copied from the point's template
 * (SeriesBlock) with its values and time filled in. A sample at its series' last time replaces
 * that one where it lies (receivers refuse two at one time; the later wins), for a point's
 * block at once. Only a series with samples at more than one time is held apart: its samples
 * chain through columns (value, time, next) and the WriteRequest is written again at the end,
 * each such series in time order.
 *
 * Series are numbered in the order they are first seen (the number is kept on the series
 * itself, stamped with the conversion, so a sample costs no lookup); what the conversion keeps
 * per series is in columns by that number, not on the series (kept from batch to batch).
 */
import { putVarint, type SeriesBlock, sampleBytes, timestampSize, varintSize, writeTimestamp } from './write-request.js';

/** Samples and series the columns hold at first; they double as needed. */
const INITIAL_SAMPLES = 1024;
const INITIAL_SERIES = 4096;
/** The output's first size; it doubles as needed. */
const INITIAL_OUTPUT = 64 * 1024;

/** The conversion that numbered a series last, and the number it got there. */
export interface SeriesNumber {
  run: number;
  number: number;
}

/** A point whose series were written as one block: the conversion, its first series' number, the block. */
export interface BlockOwner {
  run: number;
  first: number;
  written: SeriesBlock | undefined;
}

type Series = SeriesNumber & { readonly labels: Buffer };

/** What one converter's conversions write into, one conversion after another: the output and the columns. */
export class SampleColumns {
  output = Buffer.allocUnsafeSlow(INITIAL_OUTPUT);
  /** By sample: value, time, the next sample of the same series (or -1). */
  values = new Float64Array(INITIAL_SAMPLES);
  times = new Float64Array(INITIAL_SAMPLES);
  next = new Int32Array(INITIAL_SAMPLES);
  /**
   * By series number: its last time, and the value at that time (put in the output at the end:
   * here a point's values lie side by side, so a point seen again writes a few bytes); where its
   * TimeSeries starts in the output, found at the end.
   */
  lastMs = new Float64Array(INITIAL_SERIES);
  value = new Float64Array(INITIAL_SERIES);
  at = new Int32Array(INITIAL_SERIES);
  /** Series with samples at more than one time: their first and last sample (else -1), their samples' size, out of time order (1). */
  head = new Int32Array(INITIAL_SERIES);
  tail = new Int32Array(INITIAL_SERIES);
  chainBytes = new Int32Array(INITIAL_SERIES);
  unordered = new Uint8Array(INITIAL_SERIES);

  /** Room for `more` bytes past `used`. */
  reserve(used: number, more: number): Buffer {
    if (used + more > this.output.length) {
      const output = Buffer.allocUnsafeSlow(Math.max(this.output.length * 2, used + more));
      this.output.copy(output, 0, 0, used);
      this.output = output;
    }
    return this.output;
  }

  growSamples(): void {
    const size = this.values.length * 2;
    this.values = grown(this.values, size);
    this.times = grown(this.times, size);
    this.next = grown(this.next, size);
  }

  growSeries(): void {
    const size = this.at.length * 2;
    this.at = grown(this.at, size);
    this.lastMs = grown(this.lastMs, size);
    this.value = grown(this.value, size);
    this.head = grown(this.head, size);
    this.tail = grown(this.tail, size);
    this.chainBytes = grown(this.chainBytes, size);
    this.unordered = grown(this.unordered, size);
  }
}

function grown<T extends Float64Array | Int32Array | Uint8Array>(array: T, size: number): T {
  const bigger = new (array.constructor as new (size: number) => T)(size);
  bigger.set(array);
  return bigger;
}

/** A double's 8 bytes, little-endian as the wire wants, through one scratch array: as Buffer.writeDoubleLE does, without its checks. */
const double = new Float64Array(1);
const doubleBytes = new Uint8Array(double.buffer);
/** A time's varint, made once for all of a block's series. */
const time = new Uint8Array(10);

export class SeriesSet<S extends Series> {
  /** The series numbered so far, by number: the order they are written in. */
  readonly numbered: S[] = [];
  /** Output bytes written. */
  private used = 0;
  private samples = 0;
  /** Series with samples at more than one time. */
  private multi = 0;

  /**
   * @param run this conversion's stamp (unique per converter); no other conversion of its
   *   converter may number series while this one is under way.
   * @param columns this conversion's for as long as it runs.
   */
  constructor(
    private readonly run: number,
    private readonly columns: SampleColumns,
  ) {}

  /**
   * One sample each of a point's series (`values[i]` of `series[i]`) at `timestampMs`; `block`
   * holds their TimeSeries. All new to this conversion, they are written as one copy of it; the
   * point again at that time (and no series at two times yet) overwrites its values there; else
   * series by series.
   */
  pushAll(owner: BlockOwner, series: readonly S[], block: SeriesBlock, values: Float64Array, timestampMs: number): void {
    const run = this.run;
    const columns = this.columns;
    if (owner.run === run && owner.written === block && this.multi === 0 && columns.lastMs[owner.first] === timestampMs) {
      const value = columns.value;
      for (let i = 0, n = owner.first; i < series.length; i++, n++) value[n] = values[i];
      return;
    }
    let fresh = block.timeSize === timestampSize(timestampMs);
    for (let i = 0; i < series.length && fresh; i++) fresh = series[i].run !== run;
    if (!fresh) {
      for (let i = 0; i < series.length; i++) this.push(series[i], values[i], timestampMs);
      return;
    }
    const base = this.used;
    const out = columns.reserve(base, block.bytes.length);
    out.set(block.bytes, base);
    this.used = base + block.bytes.length;
    owner.run = run;
    owner.first = this.numbered.length;
    owner.written = block;
    const timeAt = block.timeAt;
    const timeSize = writeTimestamp(time, 0, timestampMs);
    for (let i = 0; i < series.length; i++) {
      const n = this.number(series[i]);
      columns.lastMs[n] = timestampMs;
      columns.value[n] = values[i];
      const at = base + timeAt[i];
      for (let b = 0; b < timeSize; b++) out[at + b] = time[b];
    }
  }

  /** A sample of `series`, numbered (and written) now if this conversion has not seen it yet. */
  push(series: S, value: number, timestampMs: number): void {
    if (series.run !== this.run) {
      this.write(series, value, timestampMs);
      return;
    }
    const columns = this.columns;
    const n = series.number;
    if (timestampMs === columns.lastMs[n]) {
      if (columns.head[n] >= 0) columns.values[columns.tail[n]] = value;
      else columns.value[n] = value;
      return;
    }
    if (columns.head[n] < 0) {
      // Its second time: the sample written so far starts its chain.
      this.multi++;
      const first = this.add(columns.value[n], columns.lastMs[n]);
      columns.head[n] = first;
      columns.tail[n] = first;
      columns.chainBytes[n] = sampleBytes(columns.lastMs[n]);
    }
    const i = this.add(value, timestampMs);
    columns.next[columns.tail[n]] = i;
    columns.tail[n] = i;
    if (timestampMs < columns.lastMs[n]) columns.unordered[n] = 1;
    columns.lastMs[n] = timestampMs;
    columns.chainBytes[n] += sampleBytes(timestampMs);
  }

  /**
   * The WriteRequest: the series as written, those with samples at more than one time written
   * again in full, then `metadata`. Its bytes may be the columns' own: use them before the
   * converter's next conversion.
   */
  done(metadata: Uint8Array): Buffer {
    const { values, times, next, lastMs, value, head, chainBytes } = this.columns;
    const numbered = this.numbered;
    const output = this.columns.reserve(this.used, metadata.length);
    // The output holds each series' TimeSeries in number order, its one sample last: the values go in, in one pass.
    const at = this.columns.at;
    for (let n = 0, pos = 0; n < numbered.length; n++) {
      at[n] = pos;
      let p = pos + 1;
      let length = 0;
      let factor = 1;
      let byte: number;
      do {
        byte = output[p++];
        length += (byte & 0x7f) * factor;
        factor *= 128;
      } while (byte & 0x80);
      pos = p + length;
      if (head[n] < 0) writeDouble(output, pos - timestampSize(lastMs[n]) - 9, value[n]);
    }
    if (this.multi === 0) {
      output.set(metadata, this.used);
      return output.subarray(0, this.used + metadata.length);
    }
    let total = this.used;
    for (let n = 0; n < numbered.length; n++) {
      if (head[n] < 0) continue;
      if (this.columns.unordered[n]) this.inTimeOrder(n);
      const length = numbered[n].labels.length + chainBytes[n];
      total += 1 + varintSize(length) + length - (this.endOf(n) - at[n]);
    }
    const out = Buffer.allocUnsafeSlow(total + metadata.length);
    let pos = 0;
    let copyFrom = 0;
    for (let n = 0; n < numbered.length; n++) {
      if (head[n] < 0) continue;
      // The series written before it as they are, then it with all its samples.
      pos += output.copy(out, pos, copyFrom, at[n]);
      copyFrom = this.endOf(n);
      const labels = numbered[n].labels;
      out[pos++] = (1 << 3) | 2;
      pos = putVarint(out, pos, labels.length + chainBytes[n]);
      pos += labels.copy(out, pos);
      for (let i = head[n]; i >= 0; i = next[i]) pos = writeSample(out, pos, values[i], times[i]);
    }
    pos += output.copy(out, pos, copyFrom, this.used);
    out.set(metadata, pos);
    return out;
  }

  /** Numbers a series new to this conversion. */
  private number(series: S): number {
    const n = this.numbered.length;
    series.run = this.run;
    series.number = n;
    this.numbered.push(series);
    const columns = this.columns;
    if (n === columns.lastMs.length) columns.growSeries();
    columns.head[n] = -1;
    columns.unordered[n] = 0;
    return n;
  }

  /** Where series `n`'s TimeSeries ends in the output: where the next one starts. */
  private endOf(n: number): number {
    return n + 1 < this.numbered.length ? this.columns.at[n + 1] : this.used;
  }

  /** A series new to this conversion: numbered, and written with its sample. */
  private write(series: S, value: number, timestampMs: number): void {
    const n = this.number(series);
    const columns = this.columns;
    columns.lastMs[n] = timestampMs;
    columns.value[n] = value;
    const labels = series.labels;
    const length = labels.length + sampleBytes(timestampMs);
    let pos = this.used;
    const out = columns.reserve(pos, 1 + varintSize(length) + length);
    out[pos++] = (1 << 3) | 2;
    pos = putVarint(out, pos, length);
    out.set(labels, pos);
    pos += labels.length;
    this.used = writeSample(out, pos, value, timestampMs);
  }

  private add(value: number, timestampMs: number): number {
    const columns = this.columns;
    if (this.samples === columns.values.length) columns.growSamples();
    const i = this.samples++;
    columns.values[i] = value;
    columns.times[i] = timestampMs;
    columns.next[i] = -1;
    return i;
  }

  /** Chains series `n`'s samples again in time order, keeping the later of two at one time (the sort is stable: indices follow arrival). */
  private inTimeOrder(n: number): void {
    const { times, next, head, tail, chainBytes } = this.columns;
    const order: number[] = [];
    for (let i = head[n]; i >= 0; i = next[i]) order.push(i);
    order.sort((a, b) => times[a] - times[b] || a - b);
    const kept: number[] = [];
    for (let k = 0; k < order.length; k++) if (k + 1 === order.length || times[order[k + 1]] !== times[order[k]]) kept.push(order[k]);
    head[n] = kept[0];
    chainBytes[n] = 0;
    for (let k = 0; k < kept.length; k++) {
      next[kept[k]] = k + 1 < kept.length ? kept[k + 1] : -1;
      chainBytes[n] += sampleBytes(times[kept[k]]);
    }
    tail[n] = kept[kept.length - 1];
    this.columns.unordered[n] = 0;
  }
}

/** One Sample field of a TimeSeries: tag, length, value (double), timestamp (ms); returns the position after it. */
function writeSample(out: Buffer, pos: number, value: number, timestampMs: number): number {
  out[pos] = (2 << 3) | 2;
  out[pos + 1] = 1 + 8 + 1 + timestampSize(timestampMs);
  out[pos + 2] = (1 << 3) | 1;
  writeDouble(out, pos + 3, value);
  out[pos + 11] = (2 << 3) | 0;
  return pos + 12 + writeTimestamp(out, pos + 12, timestampMs);
}

function writeDouble(out: Buffer, pos: number, value: number): void {
  double[0] = value;
  out[pos] = doubleBytes[0];
  out[pos + 1] = doubleBytes[1];
  out[pos + 2] = doubleBytes[2];
  out[pos + 3] = doubleBytes[3];
  out[pos + 4] = doubleBytes[4];
  out[pos + 5] = doubleBytes[5];
  out[pos + 6] = doubleBytes[6];
  out[pos + 7] = doubleBytes[7];
}
