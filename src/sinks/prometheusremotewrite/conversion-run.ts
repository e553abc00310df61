/** Runs on: a sink worker. */
import { DATA_POINTS_FIELD, METRIC_DATA_FIELDS } from '../../otlp/field-numbers.js';
import { FIELD } from '../../otlp/schema.js';
import { I64, LEN, VARINT, WireReader } from '../../otlp/wire-reader.js';
import { bufferOf } from '../../buffer-of.js';
import { snappyCompress } from '../../log/compression.js';
import { doubleAt, int64At, millisAt, uint64At } from '../wire-values.js';
import type { PromKind } from './prom-naming.js';
import type { BucketLayout, LabelCache, MetricPoints, PointEntry, ResourceEntry, ScopeEntry, Series } from './label-cache.js';
import { LabelMaker } from './label-maker.js';
import { SeriesSet } from './series-set.js';
import type { Conversion, ConverterState } from './conversion.js';
import { attributesKey, countPoints, eachFixed64, latin1, sameBounds, utf8 } from './wire-bytes.js';
import { encodeMetadata, METRIC_TYPE, type MetricMetadata, timestampSize } from './write-request.js';

/** DataPointFlags.NO_RECORDED_VALUE: the point carries no value. */
const NO_RECORDED_VALUE = 1;
/** AggregationTemporality.DELTA */
const DELTA = 1;
const { ExportMetricsServiceRequest, ResourceMetrics, ScopeMetrics, Metric, Sum, NumberDataPoint, HistogramDataPoint, SummaryDataPoint, ValueAtQuantile } =
  FIELD;
/** Metric fields holding each kind of data. */
const GAUGE = Metric.gauge;
const SUM = Metric.sum;
const HISTOGRAM = Metric.histogram;
const EXPONENTIAL_HISTOGRAM = Metric.exponentialHistogram;
const SUMMARY = Metric.summary;

/** Where the fields of one metric lie in the request's bytes. */
interface MetricFields {
  name: string;
  description: string;
  unit: string;
  dataField: number;
  dataStart: number;
  dataEnd: number;
}

/** One conversion: the series, metadata and drops of one batch. */
export class ConversionRun {
  private readonly set: SeriesSet<Series>;
  private readonly cache: LabelCache;
  private readonly metadata = new Map<string, MetricMetadata>();
  private readonly dropped = new Map<string, number>();
  /** Labels of what is seen the first time. */
  private readonly labels: LabelMaker;
  /** Walks a data point's fields: one reader for them all. */
  private readonly reader = new WireReader(Buffer.alloc(0), 0, 0);
  /** A histogram point's bucket counts. */
  private counts = new Float64Array(32);
  /** A point's values, one per series it makes (PointEntry.all). */
  private values = new Float64Array(32);
  /** The request's bytes, for reading doubles without Buffer's checks. */
  private view: DataView = new DataView(new ArrayBuffer(0));
  private resourceEntry!: ResourceEntry;
  private scopeEntry!: ScopeEntry;
  private latestMs = 0;

  constructor(
    private readonly shared: ConverterState,
    run: number,
  ) {
    this.cache = shared.labels;
    this.labels = new LabelMaker(shared);
    this.set = new SeriesSet(run, shared.columns);
  }

  request(request: Uint8Array): void {
    if (this.cache.full) this.cache.restart(this.set.numbered);
    const buf = bufferOf(request);
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    const r = new WireReader(buf, 0, buf.length);
    while (r.next()) if (r.field === ExportMetricsServiceRequest.resourceMetrics && r.wireType === LEN) this.resource(buf, r.valueStart, r.valueEnd);
  }

  /** The WriteRequest (with the metrics' metadata when `withMetadata`), compressed: the columns are free again once it is. */
  result(withMetadata: boolean): Conversion {
    const writeRequest = this.set.done(encodeMetadata(withMetadata ? [...this.metadata.values()] : []));
    return { body: snappyCompress(writeRequest), series: this.set.numbered.length, dropped: this.dropped };
  }

  private drop(reason: string, n = 1): void {
    this.dropped.set(reason, (this.dropped.get(reason) ?? 0) + n);
  }

  /** One ResourceMetrics: the resource (kept by its bytes), its scopes, then its target_info. */
  private resource(buf: Buffer, start: number, end: number): void {
    let key = '';
    const r = new WireReader(buf, start, end);
    while (r.next()) if (r.field === ResourceMetrics.resource && r.wireType === LEN) key += latin1(buf, r.tagStart, r.valueEnd);
    let entry = this.cache.resource(key);
    if (!entry) {
      entry = this.labels.resource(buf, start, end);
      this.cache.keepResource(key, entry);
    }
    this.resourceEntry = entry;
    this.latestMs = 0;
    r.reset(buf, start, end);
    while (r.next()) if (r.field === ResourceMetrics.scopeMetrics && r.wireType === LEN) this.scope(buf, r.valueStart, r.valueEnd);
    // The resource's other attributes, once per resource, on `target_info` (value 1).
    if (entry.targetInfo && this.latestMs !== 0) this.set.push(entry.targetInfo, 1, this.latestMs);
  }

  /** One ScopeMetrics: the scope (kept by its bytes in its resource), then its metrics. */
  private scope(buf: Buffer, start: number, end: number): void {
    let key = '';
    const r = new WireReader(buf, start, end);
    while (r.next()) if (r.field === ScopeMetrics.scope && r.wireType === LEN) key += latin1(buf, r.tagStart, r.valueEnd);
    let entry = this.resourceEntry.scopes.get(key);
    if (!entry) {
      entry = { labels: this.labels.scopeLabels(buf, start, end), labelSets: new Map(), metrics: new Map() };
      this.cache.keepScope(this.resourceEntry, key, entry);
    }
    this.scopeEntry = entry;
    r.reset(buf, start, end);
    while (r.next()) if (r.field === ScopeMetrics.metrics && r.wireType === LEN) this.metric(buf, r.valueStart, r.valueEnd);
  }

  private metric(buf: Buffer, start: number, end: number): void {
    const m: MetricFields = { name: '', description: '', unit: '', dataField: 0, dataStart: 0, dataEnd: 0 };
    const r = new WireReader(buf, start, end);
    while (r.next()) {
      if (r.wireType !== LEN) continue;
      if (r.field === Metric.name) m.name = utf8(buf, r.valueStart, r.valueEnd);
      else if (r.field === Metric.description) m.description = utf8(buf, r.valueStart, r.valueEnd);
      else if (r.field === Metric.unit) m.unit = utf8(buf, r.valueStart, r.valueEnd);
      // Only the data fields the protos define: 6 and 8 lie between them and are unknown fields, skipped.
      else if (METRIC_DATA_FIELDS.has(r.field)) {
        m.dataField = r.field;
        m.dataStart = r.valueStart;
        m.dataEnd = r.valueEnd;
      }
    }
    // No data the protos define (none, or a kind newer than ours): no point to write, none dropped.
    if (m.dataField === 0) return;
    if (m.dataField === EXPONENTIAL_HISTOGRAM) {
      this.drop('exponential histograms have no remote write 1.0 form', countPoints(buf, m.dataStart, m.dataEnd));
      return;
    }
    let temporality = 0;
    let monotonic = false;
    r.reset(buf, m.dataStart, m.dataEnd);
    // A sum's fields; a histogram numbers its temporality alike and has no monotonic flag.
    while (r.next()) {
      if (r.wireType !== VARINT) continue;
      if (r.field === Sum.aggregationTemporality) temporality = r.varint;
      else if (r.field === Sum.isMonotonic) monotonic = r.varint !== 0;
    }
    const kind: PromKind =
      m.dataField === GAUGE ? 'gauge' : m.dataField === SUM ? (monotonic ? 'counter' : 'gauge') : m.dataField === HISTOGRAM ? 'histogram' : 'summary';
    const name = this.labels.metricName(m.name, m.unit, kind);
    if (!this.metadata.has(name)) this.metadata.set(name, { type: METRIC_TYPE[kind], family: name, help: m.description, unit: m.unit });
    const delta = temporality === DELTA;
    // Points of one name make different series as numbers, histograms or summaries.
    const points = this.cache.points(this.scopeEntry, m.dataField === HISTOGRAM || m.dataField === SUMMARY ? `${m.dataField}${name}` : name);
    r.reset(buf, m.dataStart, m.dataEnd);
    let position = 0;
    while (r.next()) {
      if (r.field !== DATA_POINTS_FIELD || r.wireType !== LEN) continue;
      if (m.dataField === HISTOGRAM) this.histogramPoint(buf, r.valueStart, r.valueEnd, points, position, name, delta);
      else if (m.dataField === SUMMARY) this.summaryPoint(buf, r.valueStart, r.valueEnd, points, position, name);
      else this.numberPoint(buf, r.valueStart, r.valueEnd, points, position, name, m.dataField === SUM && delta);
      position++;
    }
    if (points.changed) points.rekey();
  }

  /** NumberDataPoint: attributes, time, value (double or int), flags. */
  private numberPoint(buf: Buffer, start: number, end: number, points: MetricPoints, position: number, name: string, delta: boolean): void {
    let ms = 0;
    let value = 0;
    let flags = 0;
    let attributesStart = -1;
    let attributesEnd = -1;
    let attributesBytes = 0;
    const r = this.reader.reset(buf, start, end);
    while (r.next()) {
      if (r.wireType === I64) {
        if (r.field === NumberDataPoint.timeUnixNano) ms = millisAt(buf, r.valueStart);
        else if (r.field === NumberDataPoint.asDouble) value = this.view.getFloat64(r.valueStart, true);
        else if (r.field === NumberDataPoint.asInt) value = int64At(buf, r.valueStart);
      } else if (r.field === NumberDataPoint.attributes && r.wireType === LEN) {
        if (attributesStart < 0) attributesStart = r.tagStart;
        attributesEnd = r.valueEnd;
        attributesBytes += r.valueEnd - r.tagStart;
      } else if (r.field === NumberDataPoint.flags && r.wireType === VARINT) flags = r.varint;
    }
    const entry = this.entryOf(buf, start, end, NumberDataPoint.attributes, attributesStart, attributesEnd, attributesBytes, points, position, name, false);
    if (flags & NO_RECORDED_VALUE) return;
    if (delta) {
      entry.deltaKey ??= `${name}\u0002${entry.labels.key}`;
      const total = this.shared.deltas.addSum(entry.deltaKey, value);
      if (total === undefined) {
        this.drop('too many delta series to convert to cumulative');
        return;
      }
      value = total;
    }
    this.values[0] = value;
    this.pushAll(entry, ms);
    if (ms > this.latestMs) this.latestMs = ms;
  }

  /** HistogramDataPoint: attributes, time, count, sum, bucket counts, explicit bounds, flags. */
  private histogramPoint(buf: Buffer, start: number, end: number, points: MetricPoints, position: number, name: string, delta: boolean): void {
    let ms = 0;
    let count = 0;
    let sum: number | undefined;
    let flags = 0;
    let buckets = 0;
    let attributesStart = -1;
    let attributesEnd = -1;
    let attributesBytes = 0;
    let boundsStart = -1;
    let boundsEnd = -1;
    let boundsBytes = 0;
    const r = this.reader.reset(buf, start, end);
    while (r.next()) {
      const field = r.field;
      if (field === HistogramDataPoint.attributes && r.wireType === LEN) {
        if (attributesStart < 0) attributesStart = r.tagStart;
        attributesEnd = r.valueEnd;
        attributesBytes += r.valueEnd - r.tagStart;
      } else if (field === HistogramDataPoint.bucketCounts && (r.wireType === LEN || r.wireType === I64)) {
        // bucket_counts: repeated fixed64, packed (one LEN) or not (one I64 each).
        for (let p = r.valueStart; p + 8 <= r.valueEnd; p += 8) {
          if (buckets === this.counts.length) this.growCounts();
          this.counts[buckets++] = uint64At(buf, p);
        }
      } else if (field === HistogramDataPoint.explicitBounds) {
        if (boundsStart < 0) boundsStart = r.tagStart;
        boundsEnd = r.valueEnd;
        boundsBytes += r.valueEnd - r.tagStart;
      } else if (r.wireType === I64) {
        if (field === HistogramDataPoint.timeUnixNano) ms = millisAt(buf, r.valueStart);
        else if (field === HistogramDataPoint.count) count = uint64At(buf, r.valueStart);
        else if (field === HistogramDataPoint.sum) sum = this.view.getFloat64(r.valueStart, true);
      } else if (field === HistogramDataPoint.flags && r.wireType === VARINT) flags = r.varint;
    }
    const entry = this.entryOf(buf, start, end, HistogramDataPoint.attributes, attributesStart, attributesEnd, attributesBytes, points, position, name, true);
    if (flags & NO_RECORDED_VALUE) return;
    let layout = entry.layout;
    if (!layout || !sameBounds(this.view, buf, boundsStart, boundsEnd, boundsBytes, layout.bounds, layout.bytes)) layout = this.relayout(buf, start, end, entry, name);
    let counts: ArrayLike<number> = this.counts;
    let totalSum = sum ?? 0;
    let totalCount = count;
    if (delta) {
      entry.deltaKey ??= `${name}\u0002${entry.labels.key}`;
      const summed = this.shared.deltas.addHistogram(entry.deltaKey, layout.bounds, Array.from(this.counts.subarray(0, buckets)), totalSum, count);
      if (!summed) {
        this.drop('too many delta series to convert to cumulative');
        return;
      }
      counts = summed.buckets;
      buckets = summed.buckets.length;
      totalSum = summed.sum;
      totalCount = summed.count;
    }
    const series = entry.buckets;
    if (series.length + 2 > this.values.length) this.values = new Float64Array(series.length + 2);
    const values = this.values;
    let cumulative = 0;
    for (let i = 0; i < series.length; i++) {
      if (i < buckets) cumulative += counts[i] ?? 0;
      values[i] = cumulative;
    }
    if (ms > this.latestMs) this.latestMs = ms;
    if (sum !== undefined) {
      values[series.length] = totalSum;
      values[series.length + 1] = totalCount;
      this.pushAll(entry, ms);
      return;
    }
    // OTLP makes a histogram's sum optional (e.g. with negative measurements); no sum, no _sum series.
    for (let i = 0; i < series.length; i++) this.set.push(series[i], values[i], ms);
    this.set.push(entry.series[1], totalCount, ms);
  }

  /** A sample of each of the point's series (PointEntry.all), its values in `values`. */
  private pushAll(entry: PointEntry, ms: number): void {
    const timeSize = timestampSize(ms);
    let block = entry.block;
    if (!block || block.timeSize !== timeSize) {
      block = this.cache.block(entry.all, timeSize);
      entry.block = block;
    }
    this.set.pushAll(entry, entry.all, block, this.values, ms);
  }

  /** A histogram point's bucket series for bounds other than those it had: its layout by the bounds' bytes. */
  private relayout(buf: Buffer, start: number, end: number, entry: PointEntry, name: string): BucketLayout {
    let boundsKey = '';
    const r = this.reader.reset(buf, start, end);
    while (r.next()) if (r.field === HistogramDataPoint.explicitBounds) boundsKey += latin1(buf, r.tagStart, r.valueEnd);
    const layout = this.cache.layout(boundsKey, () => {
      const bounds: number[] = [];
      r.reset(buf, start, end);
      while (r.next()) if (r.field === HistogramDataPoint.explicitBounds) eachFixed64(r, (p) => bounds.push(doubleAt(buf, p)));
      return { bytes: Buffer.from(boundsKey, 'latin1'), bounds, les: [...bounds.map(String), '+Inf'] };
    });
    if (entry.layout !== layout) {
      entry.layout = layout;
      entry.buckets = layout.les.map((le) => this.cache.seriesOf(`${name}_bucket`, 'le', le, entry.labels));
      entry.all = [...entry.buckets, ...entry.series];
      entry.block = undefined;
    }
    return layout;
  }

  private growCounts(): void {
    const counts = new Float64Array(this.counts.length * 2);
    counts.set(this.counts);
    this.counts = counts;
  }

  /** SummaryDataPoint: attributes, time, count, sum, quantile values, flags. */
  private summaryPoint(buf: Buffer, start: number, end: number, points: MetricPoints, position: number, name: string): void {
    let ms = 0;
    let count = 0;
    let sum = 0;
    let flags = 0;
    let attributesStart = -1;
    let attributesEnd = -1;
    let attributesBytes = 0;
    const quantiles: [number, number][] = [];
    const r = this.reader.reset(buf, start, end);
    while (r.next()) {
      if (r.field === SummaryDataPoint.timeUnixNano && r.wireType === I64) ms = millisAt(buf, r.valueStart);
      else if (r.field === SummaryDataPoint.count && r.wireType === I64) count = uint64At(buf, r.valueStart);
      else if (r.field === SummaryDataPoint.sum && r.wireType === I64) sum = doubleAt(buf, r.valueStart);
      else if (r.field === SummaryDataPoint.flags && r.wireType === VARINT) flags = r.varint;
      else if (r.field === SummaryDataPoint.attributes && r.wireType === LEN) {
        if (attributesStart < 0) attributesStart = r.tagStart;
        attributesEnd = r.valueEnd;
        attributesBytes += r.valueEnd - r.tagStart;
      } else if (r.field === SummaryDataPoint.quantileValues && r.wireType === LEN) {
        let quantile = 0;
        let value = 0;
        const q = new WireReader(buf, r.valueStart, r.valueEnd);
        while (q.next()) {
          if (q.wireType !== I64) continue;
          if (q.field === ValueAtQuantile.quantile) quantile = doubleAt(buf, q.valueStart);
          else if (q.field === ValueAtQuantile.value) value = doubleAt(buf, q.valueStart);
        }
        quantiles.push([quantile, value]);
      }
    }
    const entry = this.entryOf(buf, start, end, SummaryDataPoint.attributes, attributesStart, attributesEnd, attributesBytes, points, position, name, true);
    if (flags & NO_RECORDED_VALUE) return;
    for (const [quantile, value] of quantiles) this.set.push(this.cache.seriesOf(name, 'quantile', String(quantile), entry.labels), value, ms);
    this.set.push(entry.series[0], sum, ms);
    this.set.push(entry.series[1], count, ms);
    if (ms > this.latestMs) this.latestMs = ms;
  }

  /**
   * The entry of the point in `buf[start, end)`, the `position`th of its metric, whose attribute
   * fields (`attributesField`) lie in `[first, last)`, `bytes` of them: the one at that position
   * last time when its attribute bytes match, else the one kept by them, else a new one (series
   * `name`, or `name_sum` and `name_count`).
   */
  private entryOf(
    buf: Buffer,
    start: number,
    end: number,
    attributesField: number,
    first: number,
    last: number,
    bytes: number,
    points: MetricPoints,
    position: number,
    name: string,
    sumAndCount: boolean,
  ): PointEntry {
    if (points.sameAt(position, buf, first, last, bytes)) return points.order[position];
    const attributes = attributesKey(buf, start, end, attributesField, first, last, bytes);
    let entry = points.byAttributes.get(attributes);
    if (!entry) {
      const labels = this.labels.pointLabels(this.resourceEntry, this.scopeEntry, buf, start, end, attributesField, attributes);
      const names = sumAndCount ? [`${name}_sum`, `${name}_count`] : [name];
      const series = names.map((n) => this.cache.seriesOf(n, '', '', labels));
      entry = { attributes, labels, series, layout: undefined, buckets: [], deltaKey: undefined, all: series, block: undefined, run: 0, first: 0, written: undefined };
      this.cache.keepPoint(points, attributes, entry);
    }
    if (position <= points.order.length) {
      points.order[position] = entry;
      points.changed = true;
    }
    return entry;
  }

}
