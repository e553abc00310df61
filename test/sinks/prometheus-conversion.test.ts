import { ProtobufMetricsSerializer } from '@opentelemetry/otlp-transformer';
import { uncompressSync } from 'snappy';
import { describe, expect, it } from 'vitest';
import { PrometheusConverter } from '../../src/sinks/prometheusremotewrite/otlp-to-prometheus.js';
import { WireReader } from '../../src/otlp/wire-reader.js';
import { WireWriter } from '../../src/otlp/wire-writer.js';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { makeMetrics, serviceResource } from '../otlp/fixtures.js';

class CollectingReader extends MetricReader {
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

const requests = async (services: string[]) =>
  Promise.all(services.map(async (service) => ProtobufMetricsSerializer.serializeRequest(await makeMetrics({ service, series: 40 }))!));
/** The WriteRequest a conversion sends, as a receiver inflates it. */
const bytesOf = async (converter: PrometheusConverter, batch: Uint8Array[]) => uncompressSync((await converter.convert(batch)).body) as Buffer;

describe('Prometheus conversion from the wire', () => {
  it('keeps the series of batches converted at once by members that share a sink apart', async () => {
    const first = await requests(Array.from({ length: 40 }, (_, i) => `a${i}`));
    const second = await requests(Array.from({ length: 40 }, (_, i) => `b${i}`));
    const shared = new PrometheusConverter();
    const [together1, together2] = await Promise.all([bytesOf(shared, first), bytesOf(shared, second)]);
    expect(together1.equals(await bytesOf(new PrometheusConverter(), first))).toBe(true);
    expect(together2.equals(await bytesOf(new PrometheusConverter(), second))).toBe(true);
  });

  it('puts points whose attributes differ only in order or spelling into one series, in time order', async () => {
    // One gauge whose points name the same labels in other orders, one key as `a.x` or `a_x`.
    const points: [string, string][][] = [
      [['a.x', '1'], ['b', '2']],
      [['b', '2'], ['a_x', '1']],
      [['a.x', '1'], ['b', '2']],
    ];
    const w = new WireWriter(256);
    w.begin(1).begin(1).begin(1).tag(1, 2).string('service.name').begin(2).tag(1, 2).string('cart').end().end().end();
    w.begin(2).begin(2).tag(1, 2).string('depth').begin(5);
    points.forEach((attributes, i) => {
      w.begin(1);
      for (const [key, value] of attributes) w.begin(7).tag(1, 2).string(key).begin(2).tag(1, 2).string(value).end().end();
      w.tag(3, 1).fixed64(BigInt(1_700_000_000_000 + (3 - i) * 1000) * 1_000_000n);
      w.tag(4, 1).double(i);
      w.end();
    });
    w.end().end().end().end();
    const request = w.finish();
    const converter = new PrometheusConverter();
    // Twice: the second time from what the converter kept.
    for (let round = 0; round < 2; round++) {
      const written = decodeWriteRequest(await bytesOf(converter, [request, request]));
      expect(written).toEqual([
        {
          labels: { __name__: 'depth', a_x: '1', b: '2', job: 'cart' },
          samples: [
            [1_700_000_001_000, 2],
            [1_700_000_002_000, 1],
            [1_700_000_003_000, 0],
          ],
        },
      ]);
    }
  });

  it('gives a histogram whose bounds change the buckets of its new bounds, in the batch that changes them and after', async () => {
    const histogramWith = async (bounds: number[], values: number[]) => {
      const reader = new CollectingReader();
      const provider = new MeterProvider({ resource: serviceResource('cart'), readers: [reader] });
      const latency = provider.getMeter('m').createHistogram('latency', { unit: 'ms', advice: { explicitBucketBoundaries: bounds } });
      for (const v of values) latency.record(v, { route: '/a' });
      return ProtobufMetricsSerializer.serializeRequest((await reader.collect()).resourceMetrics)!;
    };
    const before = await histogramWith([10, 100], [5, 50]);
    await new Promise((resolve) => setTimeout(resolve, 5));
    const after = await histogramWith([1, 5, 50], [2, 20, 200]);
    const converter = new PrometheusConverter();
    const buckets = (written: ReturnType<typeof decodeWriteRequest>) =>
      Object.fromEntries(written.filter((s) => s.labels.__name__ === 'latency_milliseconds_bucket').map((s) => [s.labels.le, s.samples.map(([, v]) => v)]));
    expect(buckets(decodeWriteRequest(await bytesOf(converter, [before])))).toEqual({ '10': [1], '100': [2], '+Inf': [2] });
    const together = decodeWriteRequest(await bytesOf(converter, [before, after]));
    expect(buckets(together)).toEqual({ '10': [1], '100': [2], '+Inf': [2, 3], '1': [0], '5': [1], '50': [2] });
    // _count once, with both samples in time order.
    expect(together.filter((s) => s.labels.__name__ === 'latency_milliseconds_count').map((s) => s.samples.map(([, v]) => v))).toEqual([[2, 3]]);
    expect(buckets(decodeWriteRequest(await bytesOf(converter, [after])))).toEqual({ '1': [0], '5': [1], '50': [2], '+Inf': [3] });
  });

  it('writes no _sum for a histogram point without one, no sample for a point with no recorded value, and no target_info for a resource with no sample', async () => {
    const T1 = 1_700_000_001_000;
    const T2 = 1_700_000_002_000;
    const nanos = (ms: number) => BigInt(ms) * 1_000_000n;
    const resource = (w: WireWriter, attributes: [string, string][]) => {
      w.begin(1);
      for (const [key, value] of attributes) w.begin(1).tag(1, 2).string(key).begin(2).tag(1, 2).string(value).end().end();
      w.end();
    };
    const w = new WireWriter(512);
    w.begin(1);
    resource(w, [['service.name', 'cart']]);
    w.begin(2);
    // A histogram point with buckets and count but no sum (OTLP leaves it out, e.g. with negative measurements).
    w.begin(2).tag(1, 2).string('wait').begin(9).begin(1);
    w.tag(3, 1).fixed64(nanos(T1)).tag(4, 1).fixed64(3n);
    w.begin(6).fixed64(1n).fixed64(2n).end();
    w.begin(7).double(10).end();
    w.end().tag(2, 0).uvarint(2).end().end();
    // A gauge with a value at T1 and a point flagged NO_RECORDED_VALUE at T2.
    w.begin(2).tag(1, 2).string('depth').begin(5);
    w.begin(1).tag(3, 1).fixed64(nanos(T1)).tag(4, 1).double(5).end();
    w.begin(1).tag(3, 1).fixed64(nanos(T2)).tag(4, 1).double(7).tag(8, 0).uvarint(1).end();
    w.end().end();
    w.end().end();
    // A resource with attributes for target_info whose only metric has no remote write form.
    w.begin(1);
    resource(w, [['service.name', 'other'], ['host.name', 'h1']]);
    w.begin(2).begin(2).tag(1, 2).string('spread').begin(10).begin(1).tag(3, 1).fixed64(nanos(T1)).tag(4, 1).fixed64(1n).end().end().end().end();
    w.end();
    const conversion = await new PrometheusConverter().convert([w.finish()]);
    const written = decodeWriteRequest(uncompressSync(conversion.body) as Buffer);
    expect(Object.fromEntries(written.map((s) => [`${s.labels.__name__}${s.labels.le ? `{le=${s.labels.le}}` : ''}/${s.labels.job}`, s.samples]))).toEqual({
      'wait_bucket{le=10}/cart': [[T1, 1]],
      'wait_bucket{le=+Inf}/cart': [[T1, 3]],
      'wait_count/cart': [[T1, 3]],
      'depth/cart': [[T1, 5]],
    });
  });

  it('ignores Metric fields the protos do not define (6 and 8, between the data fields), as protobuf does unknown fields', async () => {
    const T1 = 1_700_000_001_000;
    const point = (w: WireWriter, value: number) => w.begin(1).tag(3, 1).fixed64(BigInt(T1) * 1_000_000n).tag(4, 1).double(value).end();
    const w = new WireWriter(256);
    w.begin(1).begin(1).begin(1).tag(1, 2).string('service.name').begin(2).tag(1, 2).string('cart').end().end().end();
    // A gauge, then fields 6 and 8 shaped like data of a later OTLP (points with other values).
    w.begin(2).begin(2).tag(1, 2).string('depth').begin(5);
    point(w, 5);
    w.end().begin(6);
    point(w, 6);
    w.end().begin(8);
    point(w, 8);
    w.end().end().end().end();
    const conversion = await new PrometheusConverter().convert([w.finish()]);
    expect(decodeWriteRequest(uncompressSync(conversion.body) as Buffer)).toEqual([{ labels: { __name__: 'depth', job: 'cart' }, samples: [[T1, 5]] }]);
    expect([...conversion.dropped]).toEqual([]);
  });

  it('writes nothing and drops nothing for a metric with no data the protos define (none, or only an unknown field)', async () => {
    const w = new WireWriter(256);
    w.begin(1).begin(1).begin(1).tag(1, 2).string('service.name').begin(2).tag(1, 2).string('cart').end().end().end();
    w.begin(2);
    w.begin(2).tag(1, 2).string('bare').end();
    w.begin(2).tag(1, 2).string('later_kind').begin(8).begin(1).tag(4, 1).double(8).end().end().end();
    w.end().end();
    const conversion = await new PrometheusConverter().convert([w.finish()]);
    expect(conversion.series).toBe(0);
    // They hold no data point, so none is dropped (tributary_sink_prometheus_dropped_points_total stays put).
    expect([...conversion.dropped]).toEqual([]);
  });

  it('refuses a record that is not protobuf, naming where it broke', async () => {
    const [good] = await requests(['cart']);
    const broken = Buffer.concat([good, Buffer.from([0x0a, 0xff, 0xff, 0x03, 0x01])]);
    await expect(new PrometheusConverter().convert([broken])).rejects.toMatchObject({ code: 'INVALID_REQUEST', message: /malformed protobuf at byte/ });
  });
});

/** A WriteRequest's series as a receiver reads them: labels by name, samples as [ms, value]. */
function decodeWriteRequest(bytes: Uint8Array) {
  const buf = Buffer.from(bytes);
  const series: { labels: Record<string, string>; samples: [number, number][] }[] = [];
  const r = new WireReader(buf, 0, buf.length);
  while (r.next()) {
    if (r.field !== 1) continue;
    const one = { labels: {} as Record<string, string>, samples: [] as [number, number][] };
    const s = new WireReader(buf, r.valueStart, r.valueEnd);
    while (s.next()) {
      // Label { name 1, value 2 } or Sample { value 1 (double), timestamp 2 (varint) }
      const read: Record<number, string | number> = {};
      const f = new WireReader(buf, s.valueStart, s.valueEnd);
      while (f.next()) read[f.field] = s.field === 1 ? buf.toString('utf8', f.valueStart, f.valueEnd) : f.field === 1 ? buf.readDoubleLE(f.valueStart) : f.varint;
      if (s.field === 1) one.labels[read[1]] = String(read[2]);
      else one.samples.push([Number(read[2]), Number(read[1])]);
    }
    series.push(one);
  }
  return series;
}
