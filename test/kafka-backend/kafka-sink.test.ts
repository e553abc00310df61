import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { afterAll, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { createGateway, type Gateway } from '../../src/gateway.js';
import { protoToJson } from '../../src/otlp/proto-to-json.js';
import { silentLogger } from '../../src/telemetry/logger.js';
import { Telemetry } from '../../src/telemetry/telemetry.js';
import { makeLogs, makeSpans } from '../otlp/fixtures.js';
import { startKafkaGateway, type KafkaGateway } from '../kafka/helpers.js';
import { eventually, sendSpans, spanIdsOf as spanIdsOfRequest } from '../sinks/helpers.js';
import { describeKafkaWith, useMockCluster } from './mock-fixture.js';
import { pythonClientUnavailable, readWithPythonClient, type StoredRecord } from './python-client.js';

/** A gateway on the embedded log (one partition a topic) whose one pipeline is `pipeline`, built as `tributary start` builds it. */
async function startSinkGateway(dataDir: string, pipeline: Record<string, unknown>): Promise<Gateway> {
  const gateway = createGateway(
    configSchema.parse({
      receiver: { endpoint: '127.0.0.1:0', workers: 1 },
      admin: { endpoint: '127.0.0.1:0' },
      kafka: { listener: '' },
      log: { data_dir: dataDir, brokers: 1, fsync: 'never' },
      topics: { otlp_spans: { partitions: 1 }, otlp_logs: { partitions: 1 }, otlp_events: { partitions: 1 }, otlp_metrics: { partitions: 1 } },
      pipelines: [pipeline],
    }),
    { logger: silentLogger, telemetry: new Telemetry() },
  );
  await gateway.start();
  return gateway;
}

const pipelineOn = (brokers: string[], sink: Record<string, unknown> = {}) => ({
  group: 'to-kafka',
  topics: ['otlp_spans', 'otlp_logs', 'otlp_events'],
  sink: { type: 'kafka', brokers, client_id: 'tributary-sink', ...sink },
});

it('refuses a kafka sink without brokers, naming the key', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-kafka-sink-'));
  try {
    const config = configSchema.parse({ log: { data_dir: dir, brokers: 1 }, pipelines: [{ ...pipelineOn([]), sink: { type: 'kafka' } }] });
    expect(() => createGateway(config, { logger: silentLogger })).toThrow(/pipelines\[0\]\.sink\.brokers/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

describeKafkaWith(pythonClientUnavailable())('the kafka sink (into a 3-broker librdkafka mock cluster)', () => {
  // The external cluster holds the Collector's Kafka receiver topics.
  const cluster = useMockCluster({ otlp_spans: 2, otlp_metrics: 1, otlp_logs: 2 });
  const dir = mkdtempSync(join(tmpdir(), 'tributary-kafka-sink-'));
  let gateway: Gateway | undefined;
  afterAll(async () => {
    await gateway?.shutdown();
    rmSync(dir, { recursive: true, force: true });
  });

  it("writes the records a Kafka consumer decodes as OTLP, in the Collector's topics with its keys", async () => {
    const config = configSchema.parse({
      receiver: { endpoint: '127.0.0.1:0', workers: 1 },
      admin: { endpoint: '127.0.0.1:0' },
      kafka: { listener: '' },
      log: { data_dir: dir, brokers: 1, fsync: 'never' },
      topics: { otlp_spans: { partitions: 2 }, otlp_logs: { partitions: 1 }, otlp_events: { partitions: 1 }, otlp_metrics: { partitions: 1 } },
      pipelines: [pipelineOn(cluster().brokers)],
    });
    gateway = createGateway(config, { logger: silentLogger, telemetry: new Telemetry() });
    await gateway.start();
    const url = (path: string) => `http://127.0.0.1:${gateway!.receiverAddress().port}${path}`;
    const spans = makeSpans({ service: 'to-kafka', traces: 4, spansPerTrace: 3 });
    const logs = makeLogs({ service: 'to-kafka', logs: 3, events: 2 });
    for (const [exporter, items] of [
      [new OTLPTraceExporter({ url: url('/v1/traces') }), spans],
      [new OTLPLogExporter({ url: url('/v1/logs') }), logs],
    ] as const) {
      const result = await new Promise<{ code: number }>((resolve) => (exporter.export as (i: unknown, cb: (r: { code: number }) => void) => void)(items, resolve));
      await exporter.shutdown();
      expect(result.code).toBe(0);
    }

    const decode = (r: StoredRecord, message: string) => protoToJson(Buffer.from(r.value, 'base64'), message) as Record<string, { scopeSpans?: { spans: { spanId: string; traceId: string }[] }[]; scopeLogs?: { logRecords: unknown[] }[] }[]>;
    const sentSpans = spans.map((s) => s.spanContext().spanId).sort();
    const read = await eventually(
      'every span and log record in the external cluster',
      async () => {
        const records = await readWithPythonClient(cluster().brokers, ['otlp_spans', 'otlp_logs']);
        const spanIds = records.filter((r) => r.topic === 'otlp_spans').flatMap((r) => decode(r, 'ExportTraceServiceRequest').resourceSpans.flatMap((rs) => rs.scopeSpans!.flatMap((ss) => ss.spans.map((s) => s.spanId))));
        const logRecords = records.filter((r) => r.topic === 'otlp_logs').flatMap((r) => decode(r, 'ExportLogsServiceRequest').resourceLogs.flatMap((rl) => rl.scopeLogs!.flatMap((sl) => sl.logRecords)));
        return JSON.stringify(spanIds.sort()) === JSON.stringify(sentSpans) && logRecords.length === 5 && records;
      },
      30_000,
    );
    // Keyed as the Collector's exporter keys them (partition_traces_by_id): each record's spans share its key.
    for (const r of read.filter((x) => x.topic === 'otlp_spans')) {
      for (const rs of decode(r, 'ExportTraceServiceRequest').resourceSpans) for (const s of rs.scopeSpans!.flatMap((ss) => ss.spans)) expect(s.traceId).toBe(r.key);
    }
  }, 60_000);

  it('dead-letters at once, as unknown, a batch for a topic the cluster does not have (not retried as a timeout for max_elapsed_time)', async () => {
    // The target cluster is another gateway's Kafka listener: unlike the mock, it does not create topics on demand.
    const target = await startKafkaGateway({ partitions: 1 });
    let missing: Gateway | undefined;
    try {
      // The default max_elapsed_time (5 m): a batch retried as timed out would not reach the dead-letter topic within this test.
      missing = await startSinkGateway(join(dir, 'missing-topic'), { ...pipelineOn([target.bootstrap], { topics: { traces: 'no_such_topic' } }), group: 'to-missing' });
      await sendSpans(`http://127.0.0.1:${missing.receiverAddress().port}`, makeSpans({ service: 'lost', traces: 2, spansPerTrace: 1 }));
      const admin = `http://127.0.0.1:${missing.adminAddress().port}`;
      const dead = await eventually(
        'the batch in the dead-letter topic',
        async () => {
          const res = await fetch(`${admin}/api/v1/topics/to-missing.dlq/records?partition=0&offset=0&limit=10`);
          const body = res.ok ? ((await res.json()) as { records: { headers: { key: string; value: string }[] }[] }) : undefined;
          return body && body.records.length === 2 && body.records;
        },
        20_000,
      );
      const header = (key: string) => dead[0]!.headers.find((h) => h.key === key)?.value;
      expect(header('dlq.error.code')).toBe('SINK_REJECTED');
      expect(header('dlq.error.message')).toMatch(/no_such_topic.*unknown topic/i);
    } finally {
      await missing?.shutdown();
      await target.stop();
    }
  }, 60_000);

  it('starts, and takes OTLP, while the cluster is down; delivers once the cluster is up', async () => {
    // A free port where no cluster listens yet; the target gateway's Kafka listener takes it later.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise((resolve) => probe.close(resolve));
    const waiting = await startSinkGateway(join(dir, 'cluster-down'), {
      ...pipelineOn([`127.0.0.1:${port}`]),
      group: 'to-later',
      retry: { initial_interval: '100ms', max_interval: '1s' },
    });
    let target: KafkaGateway | undefined;
    try {
      await sendSpans(`http://127.0.0.1:${waiting.receiverAddress().port}`, makeSpans({ service: 'later', traces: 3, spansPerTrace: 1 }));

      target = await startKafkaGateway({ partitions: 1, kafka: { listener: `127.0.0.1:${port}` } });
      const admin = target.adminUrl;
      await eventually(
        'the three traces in the cluster',
        async () => {
          const { topics } = (await (await fetch(`${admin}/api/v1/topics`)).json()) as { topics: { name: string; partitions: { highWatermark: number }[] }[] };
          return topics.find((t) => t.name === 'otlp_spans')?.partitions[0]?.highWatermark === 3;
        },
        30_000,
      );
    } finally {
      await waiting.shutdown();
      await target?.stop();
    }
  }, 60_000);

  it("delivers every span when the pipeline's members run on two sink workers (the Kafka producer is the main thread's)", async () => {
    const config = configSchema.parse({
      receiver: { endpoint: '127.0.0.1:0', workers: 1 },
      admin: { endpoint: '127.0.0.1:0' },
      log: { data_dir: join(dir, 'two-workers'), brokers: 1, fsync: 'never' },
      topics: { otlp_spans: { partitions: 2 }, otlp_logs: { partitions: 1 }, otlp_events: { partitions: 1 }, otlp_metrics: { partitions: 1 } },
      sinks: { workers: 2 },
      pipelines: [{ ...pipelineOn(cluster().brokers), group: 'to-kafka-2', members: 2 }],
    });
    const two = createGateway(config, { logger: silentLogger, telemetry: new Telemetry() });
    try {
      await two.start();
      const exporter = new OTLPTraceExporter({ url: `http://127.0.0.1:${two.receiverAddress().port}/v1/traces` });
      const spans = makeSpans({ service: 'to-kafka-2', traces: 6, spansPerTrace: 2 });
      const result = await new Promise<{ code: number }>((resolve) => exporter.export(spans, resolve));
      await exporter.shutdown();
      expect(result.code).toBe(0);
      const sent = spans.map((s) => s.spanContext().spanId);
      await eventually(
        'every span in the external cluster',
        async () => {
          const records = await readWithPythonClient(cluster().brokers, ['otlp_spans']);
          const ids = new Set(records.flatMap((r) => spanIdsOfRequest(Buffer.from(r.value, 'base64'))));
          return sent.every((id) => ids.has(id));
        },
        30_000,
      );
    } finally {
      await two.shutdown();
    }
  }, 60_000);
});
