/**
 * Runs on: a sink worker.
 *
 * Collects samples into series, one per label set, the series' labels built once when the
 * series is first seen: a data point's sorted labels, with `__name__` (and `le` or `quantile`)
 * merged in at their places.
 */
import type { Label, TimeSeries } from './write-request.js';

/** A sorted label set and its key (unique per set), as the converter builds them per data point. */
export interface LabelSet {
  names: readonly string[];
  values: readonly string[];
  key: string;
}

export class SeriesSet {
  /** By the data point's label set (one key string per point, hashed once), then by name and extra label. */
  private readonly byLabels = new Map<string, Map<string, TimeSeries>>();
  private readonly all: TimeSeries[] = [];

  add(name: string, extraName: string, extraValue: string, labels: LabelSet, value: number, timestampMs: number): void {
    let named = this.byLabels.get(labels.key);
    if (!named) {
      named = new Map();
      this.byLabels.set(labels.key, named);
    }
    const key = extraName === '' ? name : `${name}\u0000${extraValue}`;
    const series = named.get(key);
    if (series) {
      series.values.push(value);
      series.timestamps.push(timestampMs);
    } else {
      const created = { labels: mergedLabels(name, extraName, extraValue, labels), values: [value], timestamps: [timestampMs] };
      named.set(key, created);
      this.all.push(created);
    }
  }

  /** Samples sorted by time; of two at one timestamp the later one wins, since receivers refuse both. */
  done(): TimeSeries[] {
    const out = this.all;
    for (const series of out) if (series.values.length > 1) inTimeOrder(series);
    return out;
  }
}

function mergedLabels(name: string, extraName: string, extraValue: string, labels: LabelSet): Label[] {
  // `__name__` sorts before `le` and `quantile`.
  const extras: Label[] = [{ name: '__name__', value: name }];
  if (extraName !== '') extras.push({ name: extraName, value: extraValue });
  const out: Label[] = [];
  let e = 0;
  for (let i = 0; i < labels.names.length; i++) {
    const labelName = labels.names[i];
    while (e < extras.length && extras[e].name <= labelName) out.push(extras[e++]);
    // A data point's own label of the same name gives way to the one the conversion sets.
    if (out.length > 0 && out[out.length - 1].name === labelName) continue;
    out.push({ name: labelName, value: labels.values[i] });
  }
  while (e < extras.length) out.push(extras[e++]);
  return out;
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
