/**
 * Runs on: a sink worker.
 *
 * Collects samples into series, one per label set. A series' labels are built once, when it is
 * first seen, from its data point's encoded labels with `__name__` (and `le` or `quantile`)
 * spliced in at their places.
 */
import type { LabelSet } from './label-set.js';
import { labelField, type TimeSeries } from './write-request.js';

/** Encoded labels the conversion adds, kept for the next series (names, bucket bounds and quantiles repeat). */
const ADDED_LABELS_LIMIT = 10_000;

/** The series of one data point's label set: by name, and by name then `le` / `quantile` value. */
interface PointSeries {
  plain: Map<string, TimeSeries>;
  extra: Map<string, Map<string, TimeSeries>>;
}

export class SeriesSet {
  /** By the data point's label set (one key string per point, hashed once). */
  private readonly byLabels = new Map<string, PointSeries>();
  private readonly all: TimeSeries[] = [];

  constructor(private readonly added: Map<string, Map<string, Buffer>>) {}

  add(name: string, extraName: string, extraValue: string, labels: LabelSet, value: number, timestampMs: number): void {
    let point = this.byLabels.get(labels.key);
    if (!point) {
      point = { plain: new Map(), extra: new Map() };
      this.byLabels.set(labels.key, point);
    }
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
    if (series) {
      series.values.push(value);
      series.timestamps.push(timestampMs);
      return;
    }
    const created = { labels: this.splice(name, extraName, extraValue, labels), values: [value], timestamps: [timestampMs] };
    if (byValue) byValue.set(extraValue, created);
    else point.plain.set(name, created);
    this.all.push(created);
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
  private splice(name: string, extraName: string, extraValue: string, labels: LabelSet): Buffer {
    const { encoded, starts, names } = labels;
    const nameAt = labels.position('__name__');
    const afterName = nameAt + (names[nameAt] === '__name__' ? 1 : 0);
    const nameField = this.label('__name__', name);
    let extraAt = starts.length - 1;
    let afterExtra = extraAt;
    let extraField: Buffer | undefined;
    if (extraName !== '') {
      extraAt = Math.max(afterName, labels.position(extraName));
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
