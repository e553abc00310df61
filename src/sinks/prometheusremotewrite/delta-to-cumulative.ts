/** Runs on: a sink worker. */
/**
 * Remote write carries cumulative series only. Delta points are added up per series here; the
 * totals live in memory, so a restart or a rebalance starts them again from zero (a counter
 * reset, which PromQL's rate() handles). Past `maxSeries` new series are refused and counted.
 */
export interface HistogramTotals {
  bounds: string;
  buckets: number[];
  sum: number;
  count: number;
}

export class DeltaAccumulator {
  private readonly sums = new Map<string, number>();
  private readonly histograms = new Map<string, HistogramTotals>();

  constructor(private readonly maxSeries: number) {}

  private get size(): number {
    return this.sums.size + this.histograms.size;
  }

  /** The running total after adding `delta`, or undefined when the series cannot be tracked. */
  addSum(series: string, delta: number): number | undefined {
    const previous = this.sums.get(series);
    if (previous === undefined && this.size >= this.maxSeries) return undefined;
    const total = (previous ?? 0) + delta;
    this.sums.set(series, total);
    return total;
  }

  /** Bucket layouts that change restart the totals, as a reset would. */
  addHistogram(series: string, bounds: readonly number[], buckets: readonly number[], sum: number, count: number): HistogramTotals | undefined {
    const key = bounds.join(',');
    let totals = this.histograms.get(series);
    if (!totals && this.size >= this.maxSeries) return undefined;
    if (!totals || totals.bounds !== key) {
      totals = { bounds: key, buckets: buckets.map(() => 0), sum: 0, count: 0 };
      this.histograms.set(series, totals);
    }
    buckets.forEach((n, i) => {
      totals.buckets[i] += n;
    });
    totals.sum += sum;
    totals.count += count;
    return totals;
  }
}
