/**
 * Runs on: a sink worker.
 *
 * Collects samples into series, one per label set. A series' labels are built once, when it is
 * first seen, from its data point's encoded labels with `__name__` (and `le` or `quantile`)
 * spliced in at their places.
 */
import { labelPosition, type SealedLabels } from './label-set.js';
import { labelField, type TimeSeries } from './write-request.js';

/** Encoded labels the conversion adds, kept for the next series (names, bucket bounds and quantiles repeat). */
const ADDED_LABELS_LIMIT = 10_000;

/** The series of one data point's label set: by name, and by name then `le` / `quantile` value. */
interface PointSeries {
  plain: Map<string, TimeSeries>;
  extra: Map<string, Map<string, TimeSeries>>;
  /** A histogram's bucket series by bucket name, in bound order, for the `le` values they were made for. */
  buckets: Map<string, { les: readonly string[]; series: TimeSeries[] }>;
}

export class SeriesSet {
  /** By the data point's label set (one key string per point, hashed once). */
  private readonly byLabels = new Map<string, PointSeries>();
  private readonly all: TimeSeries[] = [];

  constructor(private readonly added: Map<string, Map<string, Buffer>>) {}

  add(name: string, extraName: string, extraValue: string, labels: SealedLabels, value: number, timestampMs: number): void {
    const series = this.series(this.pointSeries(labels), name, extraName, extraValue, labels);
    series.values.push(value);
    series.timestamps.push(timestampMs);
  }

  /**
   * The bucket series (`name` with each `le` value) of a histogram point, in bound order, to push
   * samples onto. A point whose bounds are those of the last point of its series (`les`, the
   * same array) skips the lookups by `le` value.
   */
  buckets(name: string, les: readonly string[], labels: SealedLabels): TimeSeries[] {
    const point = this.pointSeries(labels);
    const known = point.buckets.get(name);
    if (known?.les === les) return known.series;
    const series = les.map((le) => this.series(point, name, 'le', le, labels));
    point.buckets.set(name, { les, series });
    return series;
  }

  private pointSeries(labels: SealedLabels): PointSeries {
    let point = this.byLabels.get(labels.key);
    if (!point) {
      point = { plain: new Map(), extra: new Map(), buckets: new Map() };
      this.byLabels.set(labels.key, point);
    }
    return point;
  }

  /** The series named `name` (with the extra label, if any) of a point's labels; made empty when new. */
  private series(point: PointSeries, name: string, extraName: string, extraValue: string, labels: SealedLabels): TimeSeries {
    let series: TimeSeries | undefined;
    let byValue: Map<string, TimeSeries> | undefined;
    if (extraName === '') series = point.plain.get(name);
    else {
      byValue = point.extra.get(name);
      if (!byValue) {
        byValue = new Map();
        point.extra.set(name, byValue);
      }
      series = byValue.get(extraValue);
    }
    if (series) return series;
    const created: TimeSeries = { labels: this.splice(name, extraName, extraValue, labels), values: [], timestamps: [] };
    if (byValue) byValue.set(extraValue, created);
    else point.plain.set(name, created);
    this.all.push(created);
    return created;
  }

  /** Samples sorted by time; of two at one timestamp the later one wins, since receivers refuse both. */
  done(): TimeSeries[] {
    const out = this.all;
    for (const series of out) if (series.values.length > 1) inTimeOrder(series);
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
    const out = Buffer.allocUnsafe(size);
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

function inTimeOrder(series: TimeSeries): void {
  // Samples of one series usually come in time order already.
  let ordered = true;
  for (let i = 1; i < series.timestamps.length && ordered; i++) ordered = series.timestamps[i - 1] < series.timestamps[i];
  if (ordered) return;
  const order = series.timestamps.map((_, i) => i).sort((a, b) => series.timestamps[a] - series.timestamps[b] || a - b);
  const values: number[] = [];
  const timestamps: number[] = [];
  for (let k = 0; k < order.length; k++) {
    const i = order[k];
    const next = order[k + 1];
    if (next !== undefined && series.timestamps[next] === series.timestamps[i]) continue;
    values.push(series.values[i]);
    timestamps.push(series.timestamps[i]);
  }
  series.values = values;
  series.timestamps = timestamps;
}
