/** Runs on: a sink worker. */
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { I64, LEN, VARINT, WireReader } from '../../otlp/wire-reader.js';
import { bufferOf, doubleAt, int64At, keyValueAt, millisAt, uint64At } from '../wire-values.js';
import { DeltaAccumulator } from './delta-to-cumulative.js';
import { labelName, metricName, type PromKind } from './prom-naming.js';
import { type BucketLayout, LabelCache } from './label-cache.js';
import { LabelSet, type SealedLabels } from './label-set.js';
import { SeriesSet } from './series-set.js';
import { METRIC_TYPE, type MetricMetadata, type SeriesSamples } from './write-request.js';

/** Resource attributes that become `job` and `instance` rather than `target_info` labels. */
const IDENTIFYING = new Set(['service.name', 'service.namespace', 'service.instance.id']);
/** DataPointFlags.NO_RECORDED_VALUE: the point carries no value. */
const NO_RECORDED_VALUE = 1;
/** AggregationTemporality.DELTA */
const DELTA = 1;
/** Metric fields holding each kind of data (opentelemetry-proto metrics.proto). */
const GAUGE = 5;
const SUM = 7;
const HISTOGRAM = 9;
const EXPONENTIAL_HISTOGRAM = 10;
const SUMMARY = 11;
/** Names computed per distinct attribute key or metric, kept up to this many of each. */
const NAME_CACHE_LIMIT = 10_000;

export interface Conversion {
  series: SeriesSamples;
  metadata: MetricMetadata[];
  /** Data points that have no remote write 1.0 form, by reason. */
  dropped: Map<string, number>;
}

/** Where the fields of one metric lie in the request's bytes. */
interface MetricFields {
  name: string;
  description: string;
  unit: string;
  dataField: number;
  dataStart: number;
  dataEnd: number;
}

/** Requests converted between two yields to the event loop: the worker's other pipelines get their turns. */
const REQUESTS_PER_SLICE = 32;

/** What every conversion of one sink shares: the running totals of delta series and name caches. */
interface ConverterState {
  deltas: DeltaAccumulator;
  labelNames: Map<string, string>;
  metricNames: Map<string, string>;
  /** Encoded `__name__`, `le` and `quantile` labels. */
  addedLabels: Map<string, Map<string, Buffer>>;
  labels: LabelCache;
}

/**
 * Converts OTLP metrics, as protobuf ExportMetricsServiceRequests, to remote write series by the
 * OpenTelemetry-to-Prometheus rules, reading the wire format directly: no object per data point
 * beyond its labels and sample. One converter per sink: it keeps the running totals that turn
 * delta points cumulative. Conversions may run concurrently (members sharing the sink); each
 * has its own series.
 */
export class PrometheusConverter {
  private readonly state: ConverterState;

  constructor(options: { maxDeltaSeries?: number } = {}) {
    this.state = {
      deltas: new DeltaAccumulator(options.maxDeltaSeries ?? 100_000),
      labelNames: new Map(),
      metricNames: new Map(),
      addedLabels: new Map(),
      labels: new LabelCache(),
    };
  }

  /** Converts the requests, yielding to the event loop now and then; a malformed one throws (INVALID_REQUEST). */
  async convert(requests: readonly Uint8Array[]): Promise<Conversion> {
    const run = new ConversionRun(this.state);
    for (let i = 0; i < requests.length; i++) {
      if (i > 0 && i % REQUESTS_PER_SLICE === 0) await yieldToEventLoop();
      run.request(requests[i]);
    }
    return run.result();
  }
}

/** One conversion: the series, metadata and drops of one batch. */
class ConversionRun {
  private readonly set: SeriesSet;
  private readonly metadata = new Map<string, MetricMetadata>();
  private readonly dropped = new Map<string, number>();
  private readonly identity = new LabelSet();
  private readonly scopeLabels = new LabelSet();
  private readonly point = new LabelSet();
  /** The cached label sets of the scope being converted (LabelCache.context). */
  private scopeLabelSets = new Map<string, SealedLabels>();
  private scopeContext = '';
  private latestMs = 0;

  constructor(private readonly shared: ConverterState) {
    this.set = new SeriesSet(shared.addedLabels, shared.labels);
  }

  request(buf: Uint8Array): void {
    const r = new WireReader(buf, 0, buf.length);
    while (r.next()) if (r.field === 1 && r.wireType === LEN) this.resource(buf, r.valueStart, r.valueEnd);
  }

  result(): Conversion {
    return { series: this.set.done(), metadata: [...this.metadata.values()], dropped: this.dropped };
  }

  private drop(reason: string, n = 1): void {
    this.dropped.set(reason, (this.dropped.get(reason) ?? 0) + n);
  }

  /** One ResourceMetrics: job and instance from its resource, its scopes, then its target_info. */
  private resource(buf: Uint8Array, start: number, end: number): void {
    const attributes: [string, string][] = [];
    const r = new WireReader(buf, start, end);
    while (r.next()) {
      if (r.field !== 1 || r.wireType !== LEN) continue;
      const a = new WireReader(buf, r.valueStart, r.valueEnd);
      while (a.next()) if (a.field === 1 && a.wireType === LEN) attributes.push(keyValueAt(buf, a.valueStart, a.valueEnd));
    }
    const text = (key: string) => attributes.find(([k]) => k === key)?.[1];
    const name = text('service.name');
    const namespace = text('service.namespace');
    const instance = text('service.instance.id');
    const identity = this.identity.reset();
    if (name) identity.set('job', namespace ? `${namespace}/${name}` : name);
    if (instance) identity.set('instance', instance);
    this.latestMs = 0;
    r.reset(buf, start, end);
    while (r.next()) if (r.field === 2 && r.wireType === LEN) this.scope(buf, r.valueStart, r.valueEnd);
    this.targetInfo(attributes);
  }

  /** The resource's other attributes, once per resource, on `target_info` (value 1). */
  private targetInfo(attributes: [string, string][]): void {
    const others = attributes.filter(([key]) => !IDENTIFYING.has(key));
    if (others.length === 0 || this.latestMs === 0) return;
    const labels = this.point.reset(this.identity);
    for (const [key, value] of others) labels.add(this.labelName(key), value);
    labels.seal();
    this.set.add('target_info', '', '', labels.snapshot(), 1, this.latestMs);
  }

  private scope(buf: Uint8Array, start: number, end: number): void {
    const scope = this.scopeLabels.reset();
    const r = new WireReader(buf, start, end);
    while (r.next()) {
      if (r.field !== 1 || r.wireType !== LEN) continue;
      const s = new WireReader(buf, r.valueStart, r.valueEnd);
      while (s.next()) {
        if (s.wireType !== LEN || s.valueEnd === s.valueStart) continue;
        if (s.field === 1) scope.set('otel_scope_name', utf8(buf, s.valueStart, s.valueEnd));
        else if (s.field === 2) scope.set('otel_scope_version', utf8(buf, s.valueStart, s.valueEnd));
      }
    }
    this.scopeContext = `${contextKey(this.identity)}\u0002${contextKey(scope)}`;
    this.scopeLabelSets = this.shared.labels.context(this.scopeContext);
    r.reset(buf, start, end);
    while (r.next()) if (r.field === 2 && r.wireType === LEN) this.metric(buf, r.valueStart, r.valueEnd);
  }

  private metric(buf: Uint8Array, start: number, end: number): void {
    const m: MetricFields = { name: '', description: '', unit: '', dataField: 0, dataStart: 0, dataEnd: 0 };
    const r = new WireReader(buf, start, end);
    while (r.next()) {
      if (r.wireType !== LEN) continue;
      if (r.field === 1) m.name = utf8(buf, r.valueStart, r.valueEnd);
      else if (r.field === 2) m.description = utf8(buf, r.valueStart, r.valueEnd);
      else if (r.field === 3) m.unit = utf8(buf, r.valueStart, r.valueEnd);
      else if (r.field >= GAUGE && r.field <= SUMMARY) {
        m.dataField = r.field;
        m.dataStart = r.valueStart;
        m.dataEnd = r.valueEnd;
      }
    }
    if (m.dataField === EXPONENTIAL_HISTOGRAM || m.dataField === 0) {
      const points = m.dataField === 0 ? 1 : countPoints(buf, m.dataStart, m.dataEnd);
      this.drop('exponential histograms have no remote write 1.0 form', points);
      return;
    }
    let temporality = 0;
    let monotonic = false;
    r.reset(buf, m.dataStart, m.dataEnd);
    while (r.next()) {
      if (r.wireType !== VARINT) continue;
      if (r.field === 2) temporality = r.varint;
      else if (r.field === 3) monotonic = r.varint !== 0;
    }
    const kind: PromKind =
      m.dataField === GAUGE ? 'gauge' : m.dataField === SUM ? (monotonic ? 'counter' : 'gauge') : m.dataField === HISTOGRAM ? 'histogram' : 'summary';
    const name = this.metricName(m.name, m.unit, kind);
    if (!this.metadata.has(name)) this.metadata.set(name, { type: METRIC_TYPE[kind], family: name, help: m.description, unit: m.unit });
    const delta = temporality === DELTA;
    r.reset(buf, m.dataStart, m.dataEnd);
    while (r.next()) {
      if (r.field !== 1 || r.wireType !== LEN) continue;
      if (m.dataField === HISTOGRAM) this.histogramPoint(buf, r.valueStart, r.valueEnd, name, delta);
      else if (m.dataField === SUMMARY) this.summaryPoint(buf, r.valueStart, r.valueEnd, name);
      else this.numberPoint(buf, r.valueStart, r.valueEnd, name, m.dataField === SUM && delta);
    }
  }

  /** NumberDataPoint: attributes 7, time_unix_nano 3, as_double 4, as_int 6, flags 8. */
  private numberPoint(buf: Uint8Array, start: number, end: number, name: string, delta: boolean): void {
    const labels = this.pointLabels(buf, start, end, 7);
    let ms = 0;
    let value = 0;
    let flags = 0;
    const r = new WireReader(buf, start, end);
    while (r.next()) {
      if (r.wireType === I64) {
        if (r.field === 3) ms = millisAt(buf, r.valueStart);
        else if (r.field === 4) value = doubleAt(buf, r.valueStart);
        else if (r.field === 6) value = int64At(buf, r.valueStart);
      } else if (r.field === 8 && r.wireType === VARINT) flags = r.varint;
    }
    if (flags & NO_RECORDED_VALUE) return;
    if (delta) {
      const total = this.shared.deltas.addSum(`${name}\u0002${labels.key}`, value);
      if (total === undefined) {
        this.drop('too many delta series to convert to cumulative');
        return;
      }
      value = total;
    }
    this.emit(name, '', '', labels, value, ms);
  }

  /** HistogramDataPoint: attributes 9, time 3, count 4, sum 5, bucket_counts 6, explicit_bounds 7, flags 10. */
  private histogramPoint(buf: Uint8Array, start: number, end: number, name: string, delta: boolean): void {
    const labels = this.pointLabels(buf, start, end, 9);
    let ms = 0;
    let count = 0;
    let sum: number | undefined;
    let flags = 0;
    let boundsKey = '';
    const buckets: number[] = [];
    const r = new WireReader(buf, start, end);
    while (r.next()) {
      if (r.field === 3 && r.wireType === I64) ms = millisAt(buf, r.valueStart);
      else if (r.field === 4 && r.wireType === I64) count = uint64At(buf, r.valueStart);
      else if (r.field === 5 && r.wireType === I64) sum = doubleAt(buf, r.valueStart);
      else if (r.field === 6) eachFixed64(r, (p) => buckets.push(uint64At(buf, p)));
      else if (r.field === 7) boundsKey += latin1(buf, r.tagStart, r.valueEnd);
      else if (r.field === 10 && r.wireType === VARINT) flags = r.varint;
    }
    if (flags & NO_RECORDED_VALUE) return;
    const { bounds, les } = this.layout(buf, start, end, boundsKey);
    let totals = { buckets, sum: sum ?? 0, count };
    if (delta) {
      const summed = this.shared.deltas.addHistogram(`${name}\u0002${labels.key}`, bounds, buckets, sum ?? 0, count);
      if (!summed) {
        this.drop('too many delta series to convert to cumulative');
        return;
      }
      totals = summed;
    }
    const series = this.set.buckets(`${name}_bucket`, les, labels);
    let cumulative = 0;
    for (let i = 0; i < series.length; i++) {
      cumulative += totals.buckets[i] ?? 0;
      this.set.push(series[i], cumulative, ms);
    }
    if (ms > this.latestMs) this.latestMs = ms;
    // OTLP makes a histogram's sum optional (e.g. with negative measurements); no sum, no _sum series.
    if (sum !== undefined) this.emit(`${name}_sum`, '', '', labels, totals.sum, ms);
    this.emit(`${name}_count`, '', '', labels, totals.count, ms);
  }

  /** The bounds of a histogram point and its buckets' `le` values, by its explicit_bounds bytes. */
  private layout(buf: Uint8Array, start: number, end: number, boundsKey: string): BucketLayout {
    return this.shared.labels.layout(boundsKey, () => {
      const bounds: number[] = [];
      const r = new WireReader(buf, start, end);
      while (r.next()) if (r.field === 7) eachFixed64(r, (p) => bounds.push(doubleAt(buf, p)));
      return { bounds, les: [...bounds.map(String), '+Inf'] };
    });
  }

  /** SummaryDataPoint: attributes 7, time 3, count 4, sum 5, quantile_values 6 { quantile 1, value 2 }, flags 8. */
  private summaryPoint(buf: Uint8Array, start: number, end: number, name: string): void {
    const labels = this.pointLabels(buf, start, end, 7);
    let ms = 0;
    let count = 0;
    let sum = 0;
    let flags = 0;
    const quantiles: [number, number][] = [];
    const r = new WireReader(buf, start, end);
    while (r.next()) {
      if (r.field === 3 && r.wireType === I64) ms = millisAt(buf, r.valueStart);
      else if (r.field === 4 && r.wireType === I64) count = uint64At(buf, r.valueStart);
      else if (r.field === 5 && r.wireType === I64) sum = doubleAt(buf, r.valueStart);
      else if (r.field === 8 && r.wireType === VARINT) flags = r.varint;
      else if (r.field === 6 && r.wireType === LEN) {
        let quantile = 0;
        let value = 0;
        const q = new WireReader(buf, r.valueStart, r.valueEnd);
        while (q.next()) {
          if (q.wireType !== I64) continue;
          if (q.field === 1) quantile = doubleAt(buf, q.valueStart);
          else if (q.field === 2) value = doubleAt(buf, q.valueStart);
        }
        quantiles.push([quantile, value]);
      }
    }
    if (flags & NO_RECORDED_VALUE) return;
    for (const [quantile, value] of quantiles) this.emit(name, 'quantile', String(quantile), labels, value, ms);
    this.emit(`${name}_sum`, '', '', labels, sum, ms);
    this.emit(`${name}_count`, '', '', labels, count, ms);
  }

  /**
   * job and instance, the point's attributes (field `attributesField`), the scope's labels;
   * sealed. From the scope's cache when a point with the same attribute bytes was seen before.
   */
  private pointLabels(buf: Uint8Array, start: number, end: number, attributesField: number): SealedLabels {
    let attributes = '';
    const r = new WireReader(buf, start, end);
    while (r.next()) if (r.field === attributesField && r.wireType === LEN) attributes += latin1(buf, r.tagStart, r.valueEnd);
    const cached = this.scopeLabelSets.get(attributes);
    if (cached) return cached;
    const labels = this.point.reset(this.identity);
    r.reset(buf, start, end);
    while (r.next()) {
      if (r.field !== attributesField || r.wireType !== LEN) continue;
      const [key, value] = keyValueAt(buf, r.valueStart, r.valueEnd);
      labels.add(this.labelName(key), value);
    }
    for (let i = 0; i < this.scopeLabels.names.length; i++) labels.set(this.scopeLabels.names[i], this.scopeLabels.values[i]);
    labels.seal();
    const sealed = labels.snapshot();
    this.shared.labels.keep(this.scopeContext, this.scopeLabelSets, attributes, sealed);
    return sealed;
  }

  private emit(name: string, extraName: string, extraValue: string, labels: SealedLabels, value: number, ms: number): void {
    this.set.add(name, extraName, extraValue, labels, value, ms);
    if (ms > this.latestMs) this.latestMs = ms;
  }

  private labelName(key: string): string {
    let name = this.shared.labelNames.get(key);
    if (name === undefined) {
      name = labelName(key);
      if (this.shared.labelNames.size < NAME_CACHE_LIMIT) this.shared.labelNames.set(key, name);
    }
    return name;
  }

  private metricName(name: string, unit: string, kind: PromKind): string {
    const key = `${name}\u0000${unit}\u0000${kind}`;
    let out = this.shared.metricNames.get(key);
    if (out === undefined) {
      out = metricName(name, unit, kind);
      if (this.shared.metricNames.size < NAME_CACHE_LIMIT) this.shared.metricNames.set(key, out);
    }
    return out;
  }
}

function utf8(buf: Uint8Array, start: number, end: number): string {
  return bufferOf(buf).toString('utf8', start, end);
}

/** Bytes as a string of one character each: a Map key that tells any two byte strings apart. */
function latin1(buf: Uint8Array, start: number, end: number): string {
  return bufferOf(buf).toString('latin1', start, end);
}

/** A label set's names and values as one string, for a cache key (unsealed sets have no key yet). */
function contextKey(labels: LabelSet): string {
  let key = '';
  for (let i = 0; i < labels.names.length; i++) key += `${labels.names[i]}\u0000${labels.values[i]}\u0001`;
  return key;
}

/** A repeated fixed64/double field, packed (one LEN) or not (one I64 per element). */
function eachFixed64(r: WireReader, visit: (pos: number) => void): void {
  if (r.wireType === I64) visit(r.valueStart);
  else if (r.wireType === LEN) for (let p = r.valueStart; p + 8 <= r.valueEnd; p += 8) visit(p);
}

/** Data points (field 1) of a gauge, sum or histogram body. */
function countPoints(buf: Uint8Array, start: number, end: number): number {
  let n = 0;
  const r = new WireReader(buf, start, end);
  while (r.next()) if (r.field === 1 && r.wireType === LEN) n++;
  return n;
}

