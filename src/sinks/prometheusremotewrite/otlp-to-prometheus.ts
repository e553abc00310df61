/** Runs on: a sink worker. */
import {
  attribute,
  DELTA,
  type ExportMetricsServiceRequest,
  type HistogramDataPoint,
  type KeyValue,
  type Metric,
  type NumberDataPoint,
  nanosToMillis,
  anyValueText,
} from '../otlp-json.js';
import { DeltaAccumulator } from './delta-to-cumulative.js';
import { labelName, metricName, type PromKind } from './prom-naming.js';
import { type Label, METRIC_TYPE, type MetricMetadata, type TimeSeries } from './write-request.js';

/** Resource attributes that become `job` and `instance` rather than `target_info` labels. */
const IDENTIFYING = new Set(['service.name', 'service.namespace', 'service.instance.id']);
/** DataPointFlags.NO_RECORDED_VALUE: the point carries no value. */
const NO_RECORDED_VALUE = 1;

export interface Conversion {
  series: TimeSeries[];
  metadata: MetricMetadata[];
  /** Data points that have no remote write 1.0 form, by reason. */
  dropped: Map<string, number>;
}

function numberValue(point: NumberDataPoint): number {
  if (point.asDouble !== undefined) return Number(point.asDouble);
  return Number(point.asInt ?? 0);
}

/** Collects samples into series, one per label set, and keeps each series' samples in time order. */
class SeriesSet {
  private readonly bySignature = new Map<string, TimeSeries>();

  add(labels: Label[], value: number, timestampMs: number): void {
    labels.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const signature = labels.map((l) => `${l.name}\u0000${l.value}`).join('\u0001');
    const series = this.bySignature.get(signature);
    if (series) series.samples.push({ value, timestampMs });
    else this.bySignature.set(signature, { labels, samples: [{ value, timestampMs }] });
  }

  /** Samples sorted; of two at one timestamp the later one wins, since receivers refuse both. */
  done(): TimeSeries[] {
    const out = [...this.bySignature.values()];
    for (const series of out) {
      series.samples.sort((a, b) => a.timestampMs - b.timestampMs);
      series.samples = series.samples.filter((s, i, all) => i === all.length - 1 || all[i + 1].timestampMs !== s.timestampMs);
    }
    return out;
  }
}

/** Attributes to labels; keys that sanitize to the same name join their values with `;`. */
function attributeLabels(attributes: KeyValue[] | undefined, into: Map<string, string>): void {
  for (const kv of attributes ?? []) {
    const name = labelName(kv.key);
    const value = anyValueText(kv.value);
    const existing = into.get(name);
    into.set(name, existing === undefined ? value : `${existing};${value}`);
  }
}

function toLabels(map: Map<string, string>, extra: Record<string, string>): Label[] {
  const labels: Label[] = [];
  for (const [name, value] of map) if (value !== '') labels.push({ name, value });
  for (const [name, value] of Object.entries(extra)) labels.push({ name, value });
  return labels;
}

function jobAndInstance(resource: KeyValue[] | undefined): Map<string, string> {
  const labels = new Map<string, string>();
  const name = attribute(resource, 'service.name');
  const namespace = attribute(resource, 'service.namespace');
  const instance = attribute(resource, 'service.instance.id');
  if (name) labels.set('job', namespace ? `${namespace}/${name}` : name);
  if (instance) labels.set('instance', instance);
  return labels;
}

function kindOf(metric: Metric): PromKind | undefined {
  if (metric.gauge) return 'gauge';
  if (metric.sum) return metric.sum.isMonotonic ? 'counter' : 'gauge';
  if (metric.histogram) return 'histogram';
  if (metric.summary) return 'summary';
  return undefined;
}

const formatBound = (bound: number) => (bound === Number.POSITIVE_INFINITY ? '+Inf' : String(bound));

/**
 * Converts OTLP metrics to remote write series by the OpenTelemetry-to-Prometheus rules. One
 * converter per sink: it keeps the running totals that turn delta points cumulative.
 */
export class PrometheusConverter {
  private readonly deltas: DeltaAccumulator;

  constructor(options: { maxDeltaSeries?: number } = {}) {
    this.deltas = new DeltaAccumulator(options.maxDeltaSeries ?? 100_000);
  }

  convert(requests: readonly ExportMetricsServiceRequest[]): Conversion {
    const set = new SeriesSet();
    const metadata = new Map<string, MetricMetadata>();
    const dropped = new Map<string, number>();
    const drop = (reason: string, n = 1) => dropped.set(reason, (dropped.get(reason) ?? 0) + n);

    for (const request of requests) {
      for (const rm of request.resourceMetrics ?? []) {
        const resourceAttributes = rm.resource?.attributes;
        const identity = jobAndInstance(resourceAttributes);
        let latestMs = 0;
        for (const sm of rm.scopeMetrics ?? []) {
          const scopeLabels: Record<string, string> = {};
          if (sm.scope?.name) scopeLabels.otel_scope_name = sm.scope.name;
          if (sm.scope?.version) scopeLabels.otel_scope_version = sm.scope.version;
          for (const metric of sm.metrics ?? []) {
            const kind = kindOf(metric);
            if (!kind) {
              drop('exponential histograms have no remote write 1.0 form', metric.exponentialHistogram?.dataPoints?.length ?? 1);
              continue;
            }
            const name = metricName(metric.name, metric.unit ?? '', kind);
            metadata.set(name, { type: METRIC_TYPE[kind], family: name, help: metric.description ?? '', unit: metric.unit ?? '' });
            const emit = (attributes: KeyValue[] | undefined, extra: Record<string, string>, value: number, ms: number) => {
              const labels = new Map(identity);
              attributeLabels(attributes, labels);
              set.add(toLabels(labels, { ...scopeLabels, ...extra }), value, ms);
              if (ms > latestMs) latestMs = ms;
            };
            const seriesKey = (attributes: KeyValue[] | undefined) => `${name}|${[...identity.values()].join('|')}|${JSON.stringify(attributes ?? [])}`;

            for (const point of metric.gauge?.dataPoints ?? metric.sum?.dataPoints ?? []) {
              if ((point.flags ?? 0) & NO_RECORDED_VALUE) continue;
              let value = numberValue(point);
              if (metric.sum?.aggregationTemporality === DELTA) {
                const total = this.deltas.addSum(seriesKey(point.attributes), value);
                if (total === undefined) {
                  drop('too many delta series to convert to cumulative');
                  continue;
                }
                value = total;
              }
              emit(point.attributes, { __name__: name }, value, nanosToMillis(point.timeUnixNano));
            }
            for (const point of metric.histogram?.dataPoints ?? []) {
              if ((point.flags ?? 0) & NO_RECORDED_VALUE) continue;
              const totals = this.histogramTotals(point, metric.histogram?.aggregationTemporality === DELTA, seriesKey(point.attributes));
              if (!totals) {
                drop('too many delta series to convert to cumulative');
                continue;
              }
              const ms = nanosToMillis(point.timeUnixNano);
              const bounds = [...(point.explicitBounds ?? []), Number.POSITIVE_INFINITY];
              let cumulative = 0;
              bounds.forEach((bound, i) => {
                cumulative += totals.buckets[i] ?? 0;
                emit(point.attributes, { __name__: `${name}_bucket`, le: formatBound(bound) }, cumulative, ms);
              });
              // OTLP makes a histogram's sum optional (e.g. with negative measurements); no sum, no _sum series.
              if (point.sum !== undefined) emit(point.attributes, { __name__: `${name}_sum` }, totals.sum, ms);
              emit(point.attributes, { __name__: `${name}_count` }, totals.count, ms);
            }
            for (const point of metric.summary?.dataPoints ?? []) {
              if ((point.flags ?? 0) & NO_RECORDED_VALUE) continue;
              const ms = nanosToMillis(point.timeUnixNano);
              for (const q of point.quantileValues ?? []) {
                emit(point.attributes, { __name__: name, quantile: String(q.quantile ?? 0) }, q.value ?? 0, ms);
              }
              emit(point.attributes, { __name__: `${name}_sum` }, point.sum ?? 0, ms);
              emit(point.attributes, { __name__: `${name}_count` }, Number(point.count ?? 0), ms);
            }
          }
        }
        this.targetInfo(set, identity, resourceAttributes, latestMs);
      }
    }
    return { series: set.done(), metadata: [...metadata.values()], dropped };
  }

  private histogramTotals(point: HistogramDataPoint, delta: boolean, series: string) {
    const buckets = (point.bucketCounts ?? []).map(Number);
    const sum = point.sum ?? 0;
    const count = Number(point.count ?? 0);
    if (!delta) return { buckets, sum, count };
    return this.deltas.addHistogram(series, point.explicitBounds ?? [], buckets, sum, count);
  }

  /** The resource's other attributes, once per resource, on `target_info` (value 1). */
  private targetInfo(set: SeriesSet, identity: Map<string, string>, attributes: KeyValue[] | undefined, ms: number): void {
    const others = (attributes ?? []).filter((kv) => !IDENTIFYING.has(kv.key));
    if (others.length === 0 || ms === 0) return;
    const labels = new Map(identity);
    attributeLabels(others, labels);
    set.add(toLabels(labels, { __name__: 'target_info' }), 1, ms);
  }
}
