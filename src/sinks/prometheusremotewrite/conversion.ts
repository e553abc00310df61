/** Runs on: a sink worker. */
import type { DeltaAccumulator } from './delta-to-cumulative.js';
import type { LabelCache } from './label-cache.js';
import type { SampleColumns } from './series-set.js';

export interface Conversion {
  /** The remote write WriteRequest: protobuf, snappy-compressed (a request body). */
  body: Buffer;
  /** Series in it. */
  series: number;
  /** Data points that have no remote write 1.0 form, by reason. */
  dropped: Map<string, number>;
}

/** What every conversion of one sink shares: the running totals of delta series and name caches. */
export interface ConverterState {
  deltas: DeltaAccumulator;
  labelNames: Map<string, string>;
  metricNames: Map<string, string>;
  labels: LabelCache;
  /** Where a conversion collects its samples, one conversion after another. */
  columns: SampleColumns;
}
