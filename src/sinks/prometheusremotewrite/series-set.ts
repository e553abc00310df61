/**
 * Runs on: a sink worker.
 *
 * Collects samples into series, one per label set. A series' labels are built once, when it is
 * first seen, from its data point's encoded labels with `__name__` (and `le` or `quantile`)
 * spliced in at their places, and kept with the point's sealed labels for the next batches.
 */
import { labelPosition, type SealedLabels } from './label-set.js';
import { labelField, type SeriesSamples } from './write-request.js';

/** Encoded labels the conversion adds, kept for the next series (names, bucket bounds and quantiles repeat). */
const ADDED_LABELS_LIMIT = 10_000;
/** Samples the columns hold at first; they double as needed. */
const INITIAL_SAMPLES = 4096;

/** The series (their numbers) of one data point's label set: by name, and by name then `le` / `quantile` value. */
interface PointSeries {
  plain: Map<string, number>;
  /** Made when a series with `le` or `quantile` is, as are `buckets`. */
  extra?: Map<string, Map<string, number>>;
  /** A histogram's bucket series by bucket name, in bound order, for the `le` values they were made for. */
  buckets?: Map<string, { les: readonly string[]; series: number[] }>;
}

/**
 * Series are numbered in the order they are first seen; samples go into three columns (series,
 * value, time) in the order they come, and are grouped by series once, at the end: no array per
 * series to grow, sample by sample.
 */
export class SeriesSet {
  /** By the data point's label set (one key string per point, hashed once). */
  private readonly byLabels = new Map<string, PointSeries>();
  /** Each series' labels, by its number. */
  private readonly labels: Buffer[] = [];
  private sampleSeries = new Int32Array(INITIAL_SAMPLES);
  private sampleValues = new Float64Array(INITIAL_SAMPLES);
  private sampleTimes = new Float64Array(INITIAL_SAMPLES);
  private samples = 0;

  constructor(
    private readonly added: Map<string, Map<string, Buffer>>,
    /** Counts the series labels kept with sealed label sets, which bound that cache (label-cache.ts). */
    private readonly cache: { entries: number },
  ) {}

  add(name: string, extraName: string, extraValue: string, labels: SealedLabels, value: number, timestampMs: number): void {
    this.push(this.series(this.pointSeries(labels), name, extraName, extraValue, labels), value, timestampMs);
  }

  /** A sample of the series numbered `series` (from `buckets`). */
  push(series: number, value: number, timestampMs: number): void {
    if (this.samples === this.sampleSeries.length) this.grow();
    const i = this.samples++;
    this.sampleSeries[i] = series;
    this.sampleValues[i] = value;
    this.sampleTimes[i] = timestampMs;
  }

  /**
   * The bucket series (`name` with each `le` value) of a histogram point, in bound order, to push
   * samples onto; each gets one. A point whose bounds are those of the last point of its series
   * (`les`, the same array) skips the lookups by `le` value.
   */
  buckets(name: string, les: readonly string[], labels: SealedLabels): readonly number[] {
    const point = this.pointSeries(labels);
    point.buckets ??= new Map();
    const known = point.buckets.get(name);
    if (known?.les === les) return known.series;
    let series: number[];
    if (!known) {
      // The first of this run: numbered straight from the labels kept with the point's labels.
      series = this.bucketLabels(name, les, labels).map((bucket) => this.labels.push(bucket) - 1);
    } else {
      // The layout changed within the batch: series of an `le` value both layouts have stay one series.
      point.extra ??= new Map();
      const byValue = point.extra.get(name) ?? new Map<string, number>();
      point.extra.set(name, byValue);
      for (let i = 0; i < known.les.length; i++) byValue.set(known.les[i], known.series[i]);
      series = les.map((le) => this.series(point, name, 'le', le, labels));
    }
    point.buckets.set(name, { les, series });
    return series;
  }

  /** The labels of a histogram's bucket series, kept with the point's labels for their layout. */
  private bucketLabels(name: string, les: readonly string[], labels: SealedLabels): Buffer[] {
    const kept = labels.bucketLabels.get(name);
    if (kept?.les === les) return kept.labels;
    const made = les.map((le) => this.splice(name, 'le', le, labels));
    labels.bucketLabels.set(name, { les, labels: made });
    this.cache.entries += made.length;
    return made;
  }

  private pointSeries(labels: SealedLabels): PointSeries {
    let point = this.byLabels.get(labels.key);
    if (!point) {
      point = { plain: new Map() };
      this.byLabels.set(labels.key, point);
    }
    return point;
  }

  /** The number of the series named `name` (with the extra label, if any) of a point's labels. */
  private series(point: PointSeries, name: string, extraName: string, extraValue: string, labels: SealedLabels): number {
    let series: number | undefined;
    let byValue: Map<string, number> | undefined;
    if (extraName === '') series = point.plain.get(name);
    else {
      point.extra ??= new Map();
      byValue = point.extra.get(name);
      if (!byValue) {
        byValue = new Map();
        point.extra.set(name, byValue);
      }
      series = byValue.get(extraValue);
    }
    if (series !== undefined) return series;
    const created = this.labels.length;
    this.labels.push(this.seriesLabels(name, extraName, extraValue, labels));
    if (byValue) byValue.set(extraValue, created);
    else point.plain.set(name, created);
    return created;
  }

  /** The samples grouped by series, each series' sorted by time; of two at one timestamp the later one wins, since receivers refuse both. */
  done(): SeriesSamples {
    const series = this.labels.length;
    const samples = this.samples;
    const counts = new Int32Array(series);
    for (let s = 0; s < samples; s++) counts[this.sampleSeries[s]]++;
    const starts = new Int32Array(series);
    for (let i = 1; i < series; i++) starts[i] = starts[i - 1] + counts[i - 1];
    const next = starts.slice();
    const values = new Float64Array(samples);
    const timestamps = new Float64Array(samples);
    for (let s = 0; s < samples; s++) {
      const at = next[this.sampleSeries[s]]++;
      values[at] = this.sampleValues[s];
      timestamps[at] = this.sampleTimes[s];
    }
    for (let i = 0; i < series; i++) if (counts[i] > 1) counts[i] = inTimeOrder(values, timestamps, starts[i], counts[i]);
    return { labels: this.labels, starts, counts, values, timestamps };
  }

  private grow(): void {
    const size = this.sampleSeries.length * 2;
    const series = new Int32Array(size);
    series.set(this.sampleSeries);
    this.sampleSeries = series;
    const values = new Float64Array(size);
    values.set(this.sampleValues);
    this.sampleValues = values;
    const times = new Float64Array(size);
    times.set(this.sampleTimes);
    this.sampleTimes = times;
  }

  /** A series' labels: kept with the point's labels, else spliced (and kept). */
  private seriesLabels(name: string, extraName: string, extraValue: string, labels: SealedLabels): Buffer {
    const key = extraName === '' ? name : `${name}\u0000${extraValue}`;
    let out = labels.seriesLabels.get(key);
    if (!out) {
      out = this.splice(name, extraName, extraValue, labels);
      labels.seriesLabels.set(key, out);
      this.cache.entries++;
    }
    return out;
  }

  /**
   * The point's labels with `__name__` and the extra label at their sorted places (`__name__`
   * sorts before `le` and `quantile`); a point's own label of either name gives way.
   */
  private splice(name: string, extraName: string, extraValue: string, labels: SealedLabels): Buffer {
    const { encoded, starts, names } = labels;
    const nameAt = labelPosition(labels, '__name__');
    const afterName = nameAt + (names[nameAt] === '__name__' ? 1 : 0);
    const nameField = this.label('__name__', name);
    let extraAt = starts.length - 1;
    let afterExtra = extraAt;
    let extraField: Buffer | undefined;
    if (extraName !== '') {
      extraAt = Math.max(afterName, labelPosition(labels, extraName));
      afterExtra = extraAt + (names[extraAt] === extraName ? 1 : 0);
      extraField = this.label(extraName, extraValue);
    }
    const end = starts[starts.length - 1];
    const size = starts[nameAt] + nameField.length + (starts[extraAt] - starts[afterName]) + (extraField?.length ?? 0) + (end - starts[afterExtra]);
    // Kept across batches: memory of its own, not a slice that holds a shared pool slab alive.
    const out = Buffer.allocUnsafeSlow(size);
    let pos = encoded.copy(out, 0, 0, starts[nameAt]);
    pos += nameField.copy(out, pos);
    pos += encoded.copy(out, pos, starts[afterName], starts[extraAt]);
    if (extraField) {
      pos += extraField.copy(out, pos);
      encoded.copy(out, pos, starts[afterExtra], end);
    }
    return out;
  }

  private label(name: string, value: string): Buffer {
    let byValue = this.added.get(name);
    if (!byValue) {
      byValue = new Map();
      this.added.set(name, byValue);
    }
    let field = byValue.get(value);
    if (!field) {
      field = labelField(name, value);
      if (byValue.size < ADDED_LABELS_LIMIT) byValue.set(value, field);
    }
    return field;
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
