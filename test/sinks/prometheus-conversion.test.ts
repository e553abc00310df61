import { ProtobufMetricsSerializer } from '@opentelemetry/otlp-transformer';
import { describe, expect, it } from 'vitest';
import { PrometheusConverter } from '../../src/sinks/prometheusremotewrite/otlp-to-prometheus.js';
import { encodeWriteRequest } from '../../src/sinks/prometheusremotewrite/write-request.js';
import { makeMetrics } from '../otlp/fixtures.js';

const requests = async (services: string[]) =>
  Promise.all(services.map(async (service) => ProtobufMetricsSerializer.serializeRequest(await makeMetrics({ service, series: 40 }))!));
const bytesOf = async (converter: PrometheusConverter, batch: Uint8Array[]) => {
  const { series, metadata } = await converter.convert(batch);
  return Buffer.from(encodeWriteRequest(series, metadata));
};

describe('Prometheus conversion from the wire', () => {
  it('keeps the series of batches converted at once by members that share a sink apart', async () => {
    const first = await requests(Array.from({ length: 40 }, (_, i) => `a${i}`));
    const second = await requests(Array.from({ length: 40 }, (_, i) => `b${i}`));
    const shared = new PrometheusConverter();
    const [together1, together2] = await Promise.all([bytesOf(shared, first), bytesOf(shared, second)]);
    expect(together1.equals(await bytesOf(new PrometheusConverter(), first))).toBe(true);
    expect(together2.equals(await bytesOf(new PrometheusConverter(), second))).toBe(true);
  });

  it('refuses a record that is not protobuf, naming where it broke', async () => {
    const [good] = await requests(['cart']);
    const broken = Buffer.concat([good, Buffer.from([0x0a, 0xff, 0xff, 0x03, 0x01])]);
    await expect(new PrometheusConverter().convert([broken])).rejects.toMatchObject({ code: 'INVALID_REQUEST', message: /malformed protobuf at byte/ });
  });
});
