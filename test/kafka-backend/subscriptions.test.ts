import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it, vi } from 'vitest';
import { createGateway, type Gateway } from '../../src/gateway.js';
import { silentLogger } from '../../src/telemetry/logger.js';
import { Telemetry } from '../../src/telemetry/telemetry.js';
import { makeSpans } from '../otlp/fixtures.js';
import { eventually, startReceiver, type TestReceiver } from '../sinks/helpers.js';
import { api, otlpSubscription, receivedSpanIds, sendSpans, spanIds } from '../subscriptions/helpers.js';
import { describeKafka, kafkaConfig, useMockCluster } from './mock-fixture.js';

vi.setConfig({ testTimeout: 90_000 });

describeKafka('subscriptions over Kafka (3-broker librdkafka mock cluster)', () => {
  const cluster = useMockCluster({ otlp_spans: 2, otlp_metrics: 1, otlp_logs: 1, otlp_events: 1 });
  const dir = mkdtempSync(join(tmpdir(), 'tributary-kafka-subscriptions-'));
  const gateways: Gateway[] = [];
  let sink: TestReceiver | undefined;
  afterAll(async () => {
    await Promise.all(gateways.map((g) => g.shutdown()));
    await sink?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a subscription on a sinks process delivers what an ingest process wrote; an ingest process runs none', async () => {
    sink = await startReceiver();
    const config = kafkaConfig(cluster(), {
      receiver: { endpoint: '127.0.0.1:0', workers: 1 },
      admin: { endpoint: '127.0.0.1:0' },
      kafka: { listener: '' },
      log: { data_dir: dir },
      sinks: { workers: 1 },
    });
    const ingest = createGateway(config, { role: 'ingest', logger: silentLogger, telemetry: new Telemetry() });
    const sinks = createGateway(config, { role: 'sinks', logger: silentLogger, telemetry: new Telemetry() });
    gateways.push(ingest, sinks);
    await Promise.all([ingest.start(), sinks.start()]);
    const adminOf = (g: Gateway) => `http://127.0.0.1:${g.adminAddress().port}`;

    const refused = await api(adminOf(ingest), 'POST', '/api/v1/pipelines', otlpSubscription('nowhere', sink));
    expect(refused).toMatchObject({ status: 409, body: { error: { code: 'NO_PIPELINES_HERE' } } });

    const spans = makeSpans({ service: 'kafka-team', traces: 6, spansPerTrace: 2 });
    await sendSpans(`http://127.0.0.1:${ingest.receiverAddress().port}`, spans);
    const created = await api(adminOf(sinks), 'POST', '/api/v1/pipelines', otlpSubscription('kafka-team', sink, { start: 'earliest' }));
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    await eventually('every span delivered', () => receivedSpanIds(sink!).size === spans.length, 60_000);
    expect(receivedSpanIds(sink)).toEqual(new Set(spanIds(spans)));

    expect((await api(adminOf(sinks), 'DELETE', '/api/v1/pipelines/kafka-team')).status).toBe(200);
    expect((await api(adminOf(sinks), 'GET', '/api/v1/pipelines')).body).toEqual({ pipelines: [] });
  });
});
