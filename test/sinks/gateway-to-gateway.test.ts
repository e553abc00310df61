import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { afterEach, describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { protoToJson } from '../../src/otlp/proto-to-json.js';
import { createPipelines, type Pipelines } from '../../src/sinks/runtime/pipelines.js';
import { silentLogger } from '../../src/telemetry/logger.js';
import { makeSpans } from '../otlp/fixtures.js';
import { type Gateway, startGateway } from '../receiver/harness.js';
import { eventually } from './helpers.js';

describe('otlphttp sink from one Tributary into another', () => {
  const gateways: Gateway[] = [];
  let pipelines: Pipelines | undefined;
  afterEach(async () => {
    await pipelines?.shutdown();
    for (const g of gateways.splice(0)) await g.close();
  });

  it('every span sent to the first arrives in the second', async () => {
    const first = await startGateway();
    const second = await startGateway();
    gateways.push(first, second);
    pipelines = createPipelines({
      pipelines: configSchema.parse({
        pipelines: [{ group: 'relay', topics: ['otlp_spans'], sink: { type: 'otlphttp', endpoint: second.url(''), compression: 'gzip' } }],
      }).pipelines,
      backend: first.backend,
      telemetry: first.telemetry,
      logger: silentLogger,
    });
    await pipelines.start();

    const spans = makeSpans({ service: 'cart', traces: 25, spansPerTrace: 4 });
    const exporter = new OTLPTraceExporter({ url: first.url('/v1/traces') });
    const result = await new Promise<{ code: number; error?: Error }>((resolve) => exporter.export(spans, resolve));
    expect(result.error).toBeUndefined();
    await exporter.shutdown();

    const arrived = await eventually('every span in the second gateway', async () => {
      const ids = (await second.readTopic('otlp_spans')).flatMap((record) => {
        const json = protoToJson(record.value!, 'ExportTraceServiceRequest') as { resourceSpans: { scopeSpans: { spans: { spanId: string }[] }[] }[] };
        return json.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans.map((x) => x.spanId)));
      });
      return ids.length >= spans.length && ids;
    });
    expect(arrived.sort()).toEqual(spans.map((s) => s.spanContext().spanId).sort());
  });
});
