/**
 * Runs on: a sink worker.
 *
 * The series and samples of one conversion. Series are numbered in the order they are first seen
 * (the number is kept on the series itself, stamped with the conversion, so a sample costs no
 * lookup); samples go into columns (value, time, next sample of the series) in the order they
 * come, each series' samples a chain through them, so the WriteRequest is written series by
 * series with no grouping pass. A sample at its series' last time replaces that one where it
 * lies (receivers refuse two at one time; the later wins): a batch holding one series many times
 * over at one time keeps one sample of it. Only a series whose samples come out of time order is
 * sorted, at the end.
 */
import type { SeriesSamples } from './write-request.js';
import { sampleBytes } from './write-request.js';

/** Samples the columns hold at first; they double as needed. */
const INITIAL_SAMPLES = 4096;

/** What a conversion keeps on a series it numbered: where its samples are and how many bytes they take. */
export interface SampleChain {
  /** The conversion that numbered it last, and the number it got there. */
  run: number;
  number: number;
  /** Its first and last sample (column index), the last one's time, and its samples' encoded size. */
  head: number;
  tail: number;
  lastMs: number;
  sampleBytes: number;
  /** A sample came before the one it follows in time: the chain is sorted at the end. */
  unordered: boolean;
}

/** The columns samples are collected in: one set per converter, reused by its conversions one after another. */
export class SampleColumns {
  values = new Float64Array(INITIAL_SAMPLES);
  times = new Float64Array(INITIAL_SAMPLES);
  /** The next sample of the same series, or -1. */
  next = new Int32Array(INITIAL_SAMPLES);

  grow(): void {
    const size = this.values.length * 2;
    const values = new Float64Array(size);
    values.set(this.values);
    this.values = values;
    const times = new Float64Array(size);
    times.set(this.times);
    this.times = times;
    const next = new Int32Array(size);
    next.set(this.next);
    this.next = next;
  }
}

export class SeriesSet<S extends SampleChain & { readonly labels: Buffer }> {
  /** The series numbered so far, by number. */
  readonly numbered: S[] = [];
  private samples = 0;
  private unordered = false;

  /**
   * @param run this conversion's stamp (unique per converter); no other conversion of its
   *   converter may number series while this one is under way.
   * @param columns this conversion's for as long as it runs.
   */
  constructor(
    private readonly run: number,
    private readonly columns: SampleColumns,
  ) {}

  /** A sample of `series`, numbered now if this conversion has not seen it yet. */
  push(series: S, value: number, timestampMs: number): void {
    if (series.run !== this.run) {
      series.run = this.run;
      series.number = this.numbered.length;
      this.numbered.push(series);
      const i = this.add(value, timestampMs);
      series.head = i;
      series.tail = i;
      series.lastMs = timestampMs;
      series.sampleBytes = sampleBytes(timestampMs);
      series.unordered = false;
      return;
    }
    if (timestampMs === series.lastMs) {
      this.columns.values[series.tail] = value;
      return;
    }
    const i = this.add(value, timestampMs);
    this.columns.next[series.tail] = i;
    series.tail = i;
    if (timestampMs < series.lastMs) {
      series.unordered = true;
      this.unordered = true;
    }
    series.lastMs = timestampMs;
    series.sampleBytes += sampleBytes(timestampMs);
  }

  /** The series and their samples, each series' in time order; valid until the columns' next conversion. */
  done(): SeriesSamples {
    const { values, times, next } = this.columns;
    if (this.unordered) for (const series of this.numbered) if (series.unordered) inTimeOrder(series, times, next);
    return { series: this.numbered, values, times, next };
  }

  private add(value: number, timestampMs: number): number {
    const columns = this.columns;
    if (this.samples === columns.values.length) columns.grow();
    const i = this.samples++;
    columns.values[i] = value;
    columns.times[i] = timestampMs;
    columns.next[i] = -1;
    return i;
  }
}

/** Chains a series' samples again in time order, keeping the later of two at one time (the sort is stable: indices follow arrival). */
function inTimeOrder(series: SampleChain, times: Float64Array, next: Int32Array): void {
  const order: number[] = [];
  for (let i = series.head; i >= 0; i = next[i]) order.push(i);
  order.sort((a, b) => times[a] - times[b] || a - b);
  const kept: number[] = [];
  for (let k = 0; k < order.length; k++) if (k + 1 === order.length || times[order[k + 1]] !== times[order[k]]) kept.push(order[k]);
  series.head = kept[0];
  series.sampleBytes = 0;
  for (let k = 0; k < kept.length; k++) {
    next[kept[k]] = k + 1 < kept.length ? kept[k + 1] : -1;
    series.sampleBytes += sampleBytes(times[kept[k]]);
  }
  series.tail = kept[kept.length - 1];
  series.unordered = false;
}
