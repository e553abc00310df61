// Runs on: any thread (shared code with no thread of its own).
import { AggregatorRegistry, Counter, collectDefaultMetrics, Gauge, Histogram, type MetricObjectWithValues, type MetricValue, Registry } from 'prom-client';

/** A registry's metrics as plain objects, which cross threads (prom-client's getMetricsAsJSON). */
export type MetricsSnapshot = MetricObjectWithValues<MetricValue<string>>[];

/**
 * Runs on: main thread (the gateway's) and sink workers (each keeps its own, merged into the main one's scrape).
 *
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

  counter<L extends string>(name: string, help: string, labelNames: readonly L[] = []): Counter<L> {
    return this.existing(name) ?? new Counter({ name, help, labelNames, registers: [this.registry] });
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
   * them (counters and histograms sum, as prom-client's cluster aggregation does).
   */
  async metricsText(): Promise<string> {
    if (this.sources.size === 0) return this.registry.metrics();
    const snapshots = await Promise.all([this.snapshot(), ...[...this.sources].map((source) => source())]);
    return AggregatorRegistry.aggregate(snapshots).metrics();
  }

  snapshot(): Promise<MetricsSnapshot> {
    return this.registry.getMetricsAsJSON();
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

/** Latency buckets in seconds, from 100 µs to 10 s. */
export const LATENCY_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
