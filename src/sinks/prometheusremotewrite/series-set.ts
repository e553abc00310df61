/**
 * Runs on: a sink worker.
 *
 * The series and samples of one conversion. Series are numbered in the order they are first seen
 * (the number is kept on the series itself, stamped with the conversion, so a sample costs no
 * lookup); samples go into three columns (series, value, time) in the order they come, and are
 * grouped by series once, at the end: no array per series to grow, sample by sample.
 */
import type { Series } from './label-cache.js';
import type { SeriesSamples } from './write-request.js';

/** Samples the columns hold at first; they double as needed. */
const INITIAL_SAMPLES = 4096;

/** The columns samples are collected in: one set per converter, reused by its conversions one after another. */
export class SampleColumns {
  series = new Int32Array(INITIAL_SAMPLES);
  values = new Float64Array(INITIAL_SAMPLES);
  times = new Float64Array(INITIAL_SAMPLES);

  grow(): void {
    const size = this.series.length * 2;
    const series = new Int32Array(size);
    series.set(this.series);
    this.series = series;
    const values = new Float64Array(size);
    values.set(this.values);
    this.values = values;
    const times = new Float64Array(size);
    times.set(this.times);
    this.times = times;
  }
}

export class SeriesSet {
  /** The series numbered so far, by number. */
  readonly numbered: Series[] = [];
  private samples = 0;

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
  push(series: Series, value: number, timestampMs: number): void {
    if (series.run !== this.run) {
      series.run = this.run;
      series.number = this.numbered.length;
      this.numbered.push(series);
    }
    const columns = this.columns;
    if (this.samples === columns.series.length) columns.grow();
    const i = this.samples++;
    columns.series[i] = series.number;
    columns.values[i] = value;
    columns.times[i] = timestampMs;
  }

  /** The samples grouped by series, each series' sorted by time; of two at one timestamp the later one wins, since receivers refuse both. */
  done(): SeriesSamples {
    const series = this.numbered.length;
    const samples = this.samples;
    const { series: sampleSeries, values: sampleValues, times: sampleTimes } = this.columns;
    const counts = new Int32Array(series);
    for (let s = 0; s < samples; s++) counts[sampleSeries[s]]++;
    const starts = new Int32Array(series);
    for (let i = 1; i < series; i++) starts[i] = starts[i - 1] + counts[i - 1];
    const next = starts.slice();
    const values = new Float64Array(samples);
    const timestamps = new Float64Array(samples);
    for (let s = 0; s < samples; s++) {
      const at = next[sampleSeries[s]]++;
      values[at] = sampleValues[s];
      timestamps[at] = sampleTimes[s];
    }
    for (let i = 0; i < series; i++) if (counts[i] > 1) counts[i] = inTimeOrder(values, timestamps, starts[i], counts[i]);
    const labels = this.numbered.map((s) => s.labels);
    return { labels, starts, counts, values, timestamps };
  }
}

/** Samples of one series up to which an insertion sort orders them; more take a sort of their indices. */
const INSERTION_SORT_MAX = 64;

/**
 * Sorts the `count` samples from `start` by time, in place, keeping the later of two at one
 * timestamp; returns how many remain. Sorts are stable: equal times keep their order.
 */
function inTimeOrder(values: Float64Array, timestamps: Float64Array, start: number, count: number): number {
  const end = start + count;
  let ordered = true;
  for (let i = start + 1; i < end && ordered; i++) ordered = timestamps[i - 1] < timestamps[i];
  if (ordered) return count;
  if (count <= INSERTION_SORT_MAX) insertionSort(values, timestamps, start, end);
  else {
    const order = Array.from({ length: count }, (_, i) => start + i).sort((a, b) => timestamps[a] - timestamps[b] || a - b);
    values.set(order.map((i) => values[i]), start);
    timestamps.set(order.map((i) => timestamps[i]), start);
  }
  let kept = start;
  for (let i = start; i < end; i++) {
    if (i + 1 < end && timestamps[i + 1] === timestamps[i]) continue;
    timestamps[kept] = timestamps[i];
    values[kept] = values[i];
    kept++;
  }
  return kept - start;
}

function insertionSort(values: Float64Array, timestamps: Float64Array, start: number, end: number): void {
  for (let i = start + 1; i < end; i++) {
    const time = timestamps[i];
    const value = values[i];
    let j = i;
    for (; j > start && timestamps[j - 1] > time; j--) {
      timestamps[j] = timestamps[j - 1];
      values[j] = values[j - 1];
    }
    timestamps[j] = time;
    values[j] = value;
  }
}
