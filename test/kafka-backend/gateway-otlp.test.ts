import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { configSchema, type TributaryConfig } from '../../src/config/schema.js';
import { createGateway, type Gateway } from '../../src/gateway.js';
import { protoToJson } from '../../src/otlp/proto-to-json.js';
import { silentLogger } from '../../src/telemetry/logger.js';
import { Telemetry } from '../../src/telemetry/telemetry.js';
import { makeLogs, makeSpans } from '../otlp/fixtures.js';
import { eventually } from '../sinks/helpers.js';
import { describeKafkaWith, kafkaConfig, useMockCluster } from './mock-fixture.js';
import { pythonClientUnavailable, readWithPythonClient, type StoredRecord } from './python-client.js';

const TOPICS = { otlp_spans: 3, otlp_metrics: 2, otlp_logs: 2, otlp_events: 2 };
const topicsBlock = Object.fromEntries(Object.entries(TOPICS).map(([name, partitions]) => [name, { partitions }]));
const ports = { receiver: { endpoint: '127.0.0.1:0', workers: 1 }, admin: { endpoint: '127.0.0.1:0' }, kafka: { listener: '' } };

async function readEmbedded(gateway: Gateway, topics: string[]): Promise<StoredRecord[]> {
  const out: StoredRecord[] = [];
  for (const topic of topics) {
    for (let partition = 0; partition < gateway.backend.partitionCount(topic)!; partition++) {
      const { records } = await gateway.backend.fetch({ topic, partition, offset: 0 });
      for (const r of records) {
        out.push({
          topic,
          partition,
          timestamp: r.timestamp,
          key: r.key?.toString() ?? null,
          value: r.value!.toString('base64'),
          headers: r.headers.map((h) => [h.key, h.value.toString('base64')]),
        });
      }
    }
  }
  return out;
}

/** What must be equal between the two logs: all but offsets and receive timestamps. */
const comparable = (records: StoredRecord[]) =>
  records.map(({ topic, partition, key, value, headers }) => JSON.stringify({ topic, partition, key, value, headers })).sort();

async function exportTo<T>(exporter: { export(items: T, done: (r: { code: number; error?: Error }) => void): void; shutdown(): Promise<void> }, items: T) {
  const result = await new Promise<{ code: number; error?: Error }>((resolve) => exporter.export(items, resolve));
  await exporter.shutdown();
  return result;
}

describeKafkaWith(pythonClientUnavailable())('the gateway over Kafka (3-broker librdkafka mock cluster)', () => {
  const cluster = useMockCluster(TOPICS);
  let kafka: Gateway;
  let embedded: Gateway;
  const dir = mkdtempSync(join(tmpdir(), 'tributary-kafka-e2e-'));

  const start = async (config: TributaryConfig) => {
    const gateway = createGateway(config, { logger: silentLogger, telemetry: new Telemetry() });
    await gateway.start();
    return gateway;
  };

  beforeAll(async () => {
    kafka = await start(kafkaConfig(cluster(), { ...ports, topics: topicsBlock, log: { kafka: { produce_timeout: 1_500 } } }));
    embedded = await start(configSchema.parse({ ...ports, topics: topicsBlock, log: { data_dir: dir, brokers: 1, fsync: 'never' } }));
  });
  afterAll(async () => {
    await Promise.allSettled([kafka?.shutdown(), embedded?.shutdown()]);
    rmSync(dir, { recursive: true, force: true });
  });

  const url = (gateway: Gateway, path: string) => `http://127.0.0.1:${gateway.receiverAddress().port}${path}`;

  it('writes to Kafka exactly the records the embedded engine stores, which a Kafka client decodes as OTLP', async () => {
    const spans = makeSpans({ service: 'checkout', traces: 5, spansPerTrace: 3 });
    const logs = makeLogs({ service: 'payment', logs: 4, events: 3 });
    const sendingFrom = Date.now();
    for (const gateway of [kafka, embedded]) {
      expect(await exportTo(new OTLPTraceExporter({ url: url(gateway, '/v1/traces'), timeoutMillis: 30_000 }), spans)).toMatchObject({ code: 0 });
      expect(await exportTo(new OTLPLogExporter({ url: url(gateway, '/v1/logs'), timeoutMillis: 30_000 }), logs)).toMatchObject({ code: 0 });
    }
    const sentUntil = Date.now();
    const topics = ['otlp_spans', 'otlp_logs', 'otlp_events'];
    const inKafka = await readWithPythonClient(cluster().brokers, topics);
    expect(comparable(inKafka)).toEqual(comparable(await readEmbedded(embedded, topics)));

    // Each record alone is a whole OTLP request: every span once, each trace's spans under its key.
    const spanIds = inKafka
      .filter((r) => r.topic === 'otlp_spans')
      .flatMap((r) => {
        expect(r.timestamp).toBeGreaterThanOrEqual(sendingFrom);
        expect(r.timestamp).toBeLessThanOrEqual(sentUntil);
        expect(r.headers).toContainEqual(['content-type', Buffer.from('application/x-protobuf').toString('base64')]);
        const json = protoToJson(Buffer.from(r.value, 'base64'), 'ExportTraceServiceRequest') as { resourceSpans: { scopeSpans: { spans: { spanId: string; traceId: string }[] }[] }[] };
        const found = json.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans));
        for (const span of found) expect(span.traceId).toBe(r.key);
        return found.map((s) => s.spanId);
      });
    expect(spanIds.sort()).toEqual(spans.map((s) => s.spanContext().spanId).sort());
    expect(inKafka.filter((r) => r.topic === 'otlp_events').length).toBeGreaterThan(0);

    // The log's self telemetry counts what went to Kafka, under the embedded engine's names.
    const metrics = await (await fetch(`http://127.0.0.1:${kafka.adminAddress().port}/metrics`)).text();
    const appended = Number(/^tributary_log_append_records_total\{topic="otlp_spans"\} (\d+)$/m.exec(metrics)?.[1]);
    expect(appended).toBe(inKafka.filter((r) => r.topic === 'otlp_spans').length);
  });

  it('answers 503 with Retry-After and /readyz 503 while Kafka does not acknowledge, and 200 once it is back', async () => {
    for (const id of [1, 2, 3]) await cluster().setBrokerDown(id, true);
    try {
      // The exporter retries a 503 by itself: a plain request shows what the gateway answers.
      const response = await fetch(url(kafka, '/v1/traces'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(traceJson()) });
      expect(response.status).toBe(503);
      expect(response.headers.get('retry-after')).toBe('1');
      // Load balancers see it too: /readyz turns 503 while librdkafka reports the cluster away.
      const readyz = await eventually('/readyz to report the cluster away', async () => {
        const r = await fetch(`http://127.0.0.1:${kafka.adminAddress().port}/readyz`);
        return r.status === 503 && ((await r.json()) as { log: { connected: boolean; error?: string } });
      });
      expect(readyz.log.connected).toBe(false);
      expect(readyz.log.error).toBeTruthy();
    } finally {
      for (const id of [1, 2, 3]) await cluster().setBrokerDown(id, false);
    }
    const spans = makeSpans({ service: 'after-outage', traces: 1, spansPerTrace: 2 });
    expect(await exportTo(new OTLPTraceExporter({ url: url(kafka, '/v1/traces'), timeoutMillis: 30_000 }), spans)).toMatchObject({ code: 0 });
    expect((await fetch(`http://127.0.0.1:${kafka.adminAddress().port}/readyz`)).status).toBe(200);
  });
});

function traceJson() {
  return {
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'outage' } }] },
        scopeSpans: [{ spans: [{ traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', name: 'x', startTimeUnixNano: '1', endTimeUnixNano: '2' }] }],
      },
    ],
  };
}
