// Runs on: main thread (the gateway's) and sink workers (each keeps its own, merged into the main one's scrape).
import {
  AggregatorRegistry,
  Counter,
  collectDefaultMetrics,
  Gauge,
  Histogram,
  type Metric,
  type MetricObjectWithValues,
  type MetricValue,
  Registry,
} from 'prom-client';

/** A registry's metrics as plain objects, which cross threads (prom-client's getMetricsAsJSON). */
export type MetricsSnapshot = MetricObjectWithValues<MetricValue<string>>[];

/**
 * Self telemetry of one gateway instance. Each instance owns its registry (tests run several
 * gateways in one process); metric names follow `tributary_<subsystem>_<name>_<unit>`.
 * Asking twice for the same name returns the same metric, so components can share one.
 */
export class Telemetry {
  readonly registry = new Registry();
  /** Metrics kept on other threads, merged into each scrape. */
  private readonly sources = new Set<() => Promise<MetricsSnapshot>>();

  constructor(options: { defaultMetrics?: boolean } = {}) {
    if (options.defaultMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'tributary_process_' });
  }

  counter<L extends string>(name: string, help: string, labelNames: readonly L[] = [], collect?: (this: Counter<L>) => void | Promise<void>): Counter<L> {
    return this.existing(name) ?? new Counter({ name, help, labelNames, registers: [this.registry], collect });
  }

  gauge<L extends string>(
    name: string,
    help: string,
    labelNames: readonly L[] = [],
    collect?: (this: Gauge<L>) => void | Promise<void>,
  ): Gauge<L> {
    return this.existing(name) ?? new Gauge({ name, help, labelNames, registers: [this.registry], collect });
  }

  histogram<L extends string>(name: string, help: string, labelNames: readonly L[] = [], buckets?: number[]): Histogram<L> {
    return this.existing(name) ?? new Histogram({ name, help, labelNames, buckets, registers: [this.registry] });
  }

  /**
   * The Prometheus text of this registry and of every source: metrics of one name add up across
   * them (counters and histograms sum, as prom-client's cluster aggregation does). Only the
   * metrics a source keeps too are merged: merging copies and hashes every series, and this
   * registry's own (a series per group and partition for lag, three per partition) are most of a
   * large scrape, so they are written as they are.
   */
  async metricsText(): Promise<string> {
    if (this.sources.size === 0) return this.registry.metrics();
    const others = await Promise.all([...this.sources].map((source) => source()));
    const shared = new Set(others.flatMap((snapshot) => snapshot.map((metric) => metric.name)));
    const metrics = this.registry.getMetricsAsArray() as unknown as Metric<string>[];
    const mine = metrics.filter((metric) => shared.has(metricName(metric)));
    const merged = AggregatorRegistry.aggregate([await Promise.all(mine.map((metric) => metric.get())), ...others]);
    const texts = await Promise.all([
      ...metrics.map(metricName).filter((name) => !shared.has(name)).map((name) => this.registry.getSingleMetricAsString(name)),
      ...[...shared].map((name) => merged.getSingleMetricAsString(name)),
    ]);
    return `${texts.join('\n\n')}\n`;
  }

  snapshot(): Promise<MetricsSnapshot> {
    return this.registry.getMetricsAsJSON();
  }

  /**
   * Removes every series labelled `label="value"` (a deleted pipeline's, say): what no longer
   * exists leaves the scrape, so churn of named things never grows it. Metrics computed at scrape
   * time (a `collect` function) set their series afresh and are left alone.
   */
  async forgetSeries(label: string, value: string): Promise<void> {
    for (const metric of this.registry.getMetricsAsArray() as unknown as LabelledMetric[]) {
      if (metric.collect || !metric.labelNames?.includes(label)) continue;
      const series = new Map<string, Partial<Record<string, string | number>>>();
      for (const { labels } of (await metric.get()).values) {
        if (String(labels[label]) !== value) continue;
        // A histogram's buckets are one series with its sum and count.
        const { le: _bucket, ...own } = labels;
        series.set(JSON.stringify(own), own);
      }
      for (const labels of series.values()) metric.remove(labels);
    }
  }

  /** Adds metrics another thread keeps (a sink worker's); returns the way to remove them. */
  addSource(source: () => Promise<MetricsSnapshot>): () => void {
    this.sources.add(source);
    return () => this.sources.delete(source);
  }

  private existing<M>(name: string): M | undefined {
    return this.registry.getSingleMetric(name) as M | undefined;
  }
}

/** A registered metric's name (prom-client's types leave it out). */
function metricName(metric: Metric<string>): string {
  return (metric as unknown as { name: string }).name;
}

/** A registered metric as forgetSeries sees it (prom-client's types leave these fields out). */
type LabelledMetric = Metric<string> & { labelNames?: readonly string[]; collect?: () => unknown };

/** A snapshot without the series labelled `label="value"`: another thread's metrics after what they counted is gone. */
export function withoutSeries(snapshot: MetricsSnapshot, label: string, value: string): MetricsSnapshot {
  return snapshot.map((metric) => ({ ...metric, values: metric.values.filter((v) => String(v.labels[label]) !== value) }));
}

/** Latency buckets in seconds, from 100 µs to 10 s. */
export const LATENCY_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
