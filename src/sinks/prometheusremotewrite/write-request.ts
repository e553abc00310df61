/** Runs on: a sink worker. */
import { I64, VARINT } from '../../otlp/wire-reader.js';
import { WireWriter } from '../../otlp/wire-writer.js';

/**
 * Prometheus remote write 1.0 `WriteRequest` in protobuf (prometheus/prompb/remote.proto,
 * types.proto): timeseries = 1 { labels = 1 { name = 1, value = 2 }, samples = 2 { value = 1
 * (double), timestamp = 2 (int64 ms) } }, metadata = 3 { type = 1, metric_family_name = 2,
 * help = 4, unit = 5 }.
 */

export interface Label {
  name: string;
  value: string;
}

export interface Sample {
  value: number;
  timestampMs: number;
}

export interface TimeSeries {
  /** Sorted by name, `__name__` among them, as remote write receivers expect. */
  labels: Label[];
  /** In timestamp order. */
  samples: Sample[];
}

/** prompb MetricMetadata.MetricType */
export const METRIC_TYPE = { counter: 1, gauge: 2, histogram: 3, summary: 5 } as const;

export interface MetricMetadata {
  type: number;
  family: string;
  help: string;
  unit: string;
}

export function encodeWriteRequest(timeseries: readonly TimeSeries[], metadata: readonly MetricMetadata[] = []): Uint8Array {
  const w = new WireWriter(64 * 1024);
  for (const series of timeseries) {
    w.begin(1);
    for (const label of series.labels) {
      w.begin(1).tag(1, 2).string(label.name).tag(2, 2).string(label.value).end();
    }
    for (const sample of series.samples) {
      w.begin(2).tag(1, I64).double(sample.value).tag(2, VARINT).bigVarint(BigInt(Math.trunc(sample.timestampMs))).end();
    }
    w.end();
  }
  for (const meta of metadata) {
    w.begin(3).tag(1, VARINT).uvarint(meta.type);
    w.tag(2, 2).string(meta.family).tag(4, 2).string(meta.help).tag(5, 2).string(meta.unit).end();
  }
  return w.finish();
}
