/**
 * Runs on: a sink worker.
 *
 * What a Prometheus sink keeps from batch to batch, since series repeat from request to request,
 * found by the bytes things come from as they lie (latin1: one character a byte): each resource
 * (its job and instance, its target_info series), each of its scopes, and in a scope each data
 * point's labels by its attribute bytes, and per metric the series a point makes, with their
 * TimeSeries as one block to copy (SeriesBlock). A point seen before, at its place among its
 * metric's points, costs a comparison of its attribute bytes: no decoding, naming, sorting or
 * encoding of labels, no lookup per series.
 *
 * Series are kept once per label set (`series`): two points whose attributes differ in bytes but
 * not in labels (another order, keys that sanitize alike) share them, so a conversion numbers
 * each series once.
 */
import { type LabelSet, labelPosition, type SealedLabels } from './label-set.js';
import type { BlockOwner, SeriesNumber } from './series-set.js';
import { blockBytes, labelField, type SeriesBlock, writeBlock } from './write-request.js';

/**
 * Resources, scopes, label sets, points and series kept (series labels about 0.5 KB each with
 * their key, about 0.2 KB more in their point's block: about 45 MB in all); past it the cache
 * starts again, between two requests. A histogram point of 16 bounds makes 19 series, a gauge or
 * sum point one.
 */
const ENTRIES_LIMIT = 50_000;
/** Histogram bucket layouts kept; past it that cache starts again empty. */
const LAYOUTS_LIMIT = 1_000;
/** Encoded labels the conversion adds, kept for the next series (names, bucket bounds and quantiles repeat). */
const ADDED_LABELS_LIMIT = 10_000;
/** Series labels and blocks are cut from slabs of this size: one allocation for hundreds of series, not one each. */
const SLAB_BYTES = 64 * 1024;

export interface BucketLayout {
  /** The explicit_bounds fields it was read from, as they lie (tags included). */
  bytes: Buffer;
  bounds: number[];
  /** The `le` value of each bucket: each bound, then `+Inf`. */
  les: string[];
}

/** One series: its encoded labels, and its number and samples in the conversion that last used it (SeriesSet). */
export interface Series extends SeriesNumber {
  /** Its key among the series of its label set (`of`, whose key is `labelsKey`): the name and the extra label. */
  readonly key: string;
  readonly of: Map<string, Series>;
  readonly labelsKey: string;
  readonly labels: Buffer;
}

/** A resource as its bytes read: job and instance, and the series of its target_info, if it has one. */
export interface ResourceEntry {
  readonly identity: LabelSet;
  readonly targetInfo: Series | undefined;
  readonly scopes: Map<string, ScopeEntry>;
}

/** A scope of one resource: its labels, its points' label sets by attribute bytes, their points by metric. */
export interface ScopeEntry {
  readonly labels: LabelSet;
  readonly labelSets: Map<string, SealedLabels>;
  /** By metric (its Prometheus name and data kind). */
  readonly metrics: Map<string, MetricPoints>;
}

/**
 * The points of one metric of a scope, by attribute bytes, and as the last request listed them:
 * an SDK lists a metric's points in the same order export after export, so the point at a place
 * is most often the one there before, found by comparing bytes, with no key to make. Their
 * attribute bytes lie side by side in `keys` (point i's from `starts[i]` to `starts[i + 1]`),
 * read in order as the points are: no memory read per point elsewhere than there.
 */
export class MetricPoints {
  readonly byAttributes = new Map<string, PointEntry>();
  readonly order: PointEntry[] = [];
  keys = new Uint8Array(0);
  starts = new Int32Array(1);
  /** `order` changed since `keys` were made. */
  changed = false;

  /** Whether the point at `position` has the attribute fields in `buf[first, last)` (side by side: `bytes` of them). */
  sameAt(position: number, buf: Uint8Array, first: number, last: number, bytes: number): boolean {
    if (position + 1 >= this.starts.length || (first >= 0 && last - first !== bytes)) return false;
    const from = this.starts[position];
    const length = first < 0 ? 0 : bytes;
    if (this.starts[position + 1] - from !== length) return false;
    const keys = this.keys;
    for (let i = 0; i < length; i++) if (buf[first + i] !== keys[from + i]) return false;
    return true;
  }

  /** `keys` and `starts` again, from the entries in `order` now. */
  rekey(): void {
    const starts = new Int32Array(this.order.length + 1);
    for (let i = 0; i < this.order.length; i++) starts[i + 1] = starts[i] + this.order[i].attributes.length;
    const keys = Buffer.allocUnsafeSlow(starts[this.order.length]);
    for (let i = 0; i < this.order.length; i++) keys.write(this.order[i].attributes, starts[i], 'latin1');
    this.keys = keys;
    this.starts = starts;
    this.changed = false;
  }
}

/** A data point as its metric and attribute bytes make it: its labels and the series it adds samples to. */
export interface PointEntry extends BlockOwner {
  /** Its attribute fields' bytes, as they lie (tags included), a character a byte (latin1): its key by attribute bytes. */
  readonly attributes: string;
  readonly labels: SealedLabels;
  /** Number points: the series. Histograms: `_sum`, `_count`. Summaries: `_sum`, `_count`. */
  readonly series: readonly Series[];
  /** Histograms: the layout of the bounds the buckets were made for, and their series. */
  layout: BucketLayout | undefined;
  buckets: readonly Series[];
  /** The key of its running totals when it is a delta series (`name`, then the labels' key), once it is one. */
  deltaKey: string | undefined;
  /** The series a sample of it goes to, in order (histograms: the buckets, `_sum`, `_count`), and their TimeSeries (SeriesBlock), once made. */
  all: readonly Series[];
  block: SeriesBlock | undefined;
}

export class LabelCache {
  /** Entries kept, counted against ENTRIES_LIMIT past those kept at the last restart. */
  private entries = 0;
  private kept = 0;
  private readonly resources = new Map<string, ResourceEntry>();
  /** The series of each label set, by the set's key: points whose labels are alike share them. */
  private readonly series = new Map<string, Map<string, Series>>();
  private readonly layouts = new Map<string, BucketLayout>();
  private readonly added = new Map<string, Map<string, Buffer>>();
  /** Where the next series' labels go: memory of the cache's own, not Buffer's shared pool (a slice would hold a pool slab alive). */
  private slab = Buffer.allocUnsafeSlow(SLAB_BYTES);
  private slabUsed = 0;

  /** True when the cache is full: the caller starts it again between two requests (`restart`). */
  get full(): boolean {
    return this.entries >= ENTRIES_LIMIT + this.kept;
  }

  /**
   * Empties the cache, but for the series a conversion under way has numbered (`inUse`): a
   * series made again later in that conversion must be the same one, or it would get two numbers.
   * Those (one batch's series at most) do not count against the limit until the next restart,
   * so restarts come at least ENTRIES_LIMIT entries apart however many series a batch has.
   */
  restart(inUse: readonly Series[]): void {
    this.resources.clear();
    this.series.clear();
    for (const series of inUse) series.of.clear();
    for (const series of inUse) {
      series.of.set(series.key, series);
      this.series.set(series.labelsKey, series.of);
    }
    // The old slabs go once the series cut from them do.
    this.slab = Buffer.allocUnsafeSlow(SLAB_BYTES);
    this.slabUsed = 0;
    this.kept = inUse.length + this.series.size;
    this.entries = this.kept;
  }

  resource(key: string): ResourceEntry | undefined {
    return this.resources.get(key);
  }

  keepResource(key: string, entry: ResourceEntry): void {
    this.resources.set(key, entry);
    this.entries++;
  }

  keepScope(resource: ResourceEntry, key: string, entry: ScopeEntry): void {
    resource.scopes.set(key, entry);
    this.entries++;
  }

  /** The points of one metric of a scope. */
  points(scope: ScopeEntry, metric: string): MetricPoints {
    let points = scope.metrics.get(metric);
    if (!points) {
      points = new MetricPoints();
      scope.metrics.set(metric, points);
      this.entries++;
    }
    return points;
  }

  keepLabels(scope: ScopeEntry, attributes: string, labels: SealedLabels): void {
    scope.labelSets.set(attributes, labels);
    this.entries++;
  }

  keepPoint(points: MetricPoints, attributes: string, entry: PointEntry): void {
    points.byAttributes.set(attributes, entry);
    this.entries++;
  }

  /** The series named `name` (with the extra label, if any) of a label set: the kept one, else made and kept. */
  seriesOf(name: string, extraName: string, extraValue: string, labels: SealedLabels): Series {
    let of = this.series.get(labels.key);
    if (!of) {
      of = new Map();
      this.series.set(labels.key, of);
      this.entries++;
    }
    const key = extraName === '' ? name : `${name}\u0000${extraName}\u0000${extraValue}`;
    let series = of.get(key);
    if (!series) {
      series = { key, of, labelsKey: labels.key, labels: this.splice(name, extraName, extraValue, labels), run: 0, number: 0 };
      of.set(key, series);
      this.entries++;
    }
    return series;
  }

  /** The layout of a histogram's bounds (`boundsKey`: their bytes), made by `make` when new. */
  layout(boundsKey: string, make: () => BucketLayout): BucketLayout {
    let layout = this.layouts.get(boundsKey);
    if (layout) return layout;
    layout = make();
    if (this.layouts.size >= LAYOUTS_LIMIT) this.layouts.clear();
    this.layouts.set(boundsKey, layout);
    return layout;
  }

  /**
   * The labels with `__name__` and the extra label at their sorted places (`__name__` sorts
   * before `le` and `quantile`); a point's own label of either name gives way.
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
    const out = this.allocate(size);
    let pos = encoded.copy(out, 0, 0, starts[nameAt]);
    pos += nameField.copy(out, pos);
    pos += encoded.copy(out, pos, starts[afterName], starts[extraAt]);
    if (extraField) {
      pos += extraField.copy(out, pos);
      encoded.copy(out, pos, starts[afterExtra], end);
    }
    return out;
  }

  /** A point's series as TimeSeries of one sample each, for a time of `timeSize` varint bytes. */
  block(series: readonly Series[], timeSize: number): SeriesBlock {
    const labels = series.map((s) => s.labels);
    return writeBlock(this.allocate(blockBytes(labels, timeSize)), labels, timeSize);
  }

  private allocate(size: number): Buffer {
    if (size > SLAB_BYTES / 8) return Buffer.allocUnsafeSlow(size);
    if (this.slabUsed + size > SLAB_BYTES) {
      this.slab = Buffer.allocUnsafeSlow(SLAB_BYTES);
      this.slabUsed = 0;
    }
    const out = this.slab.subarray(this.slabUsed, this.slabUsed + size);
    this.slabUsed += size;
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
