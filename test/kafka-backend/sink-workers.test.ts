import { afterEach, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import type { KafkaBackend } from '../../src/log/kafka/kafka-backend.js';
import { createPipelines, type Pipelines } from '../../src/sinks/runtime/pipelines.js';
import { silentLogger } from '../../src/telemetry/logger.js';
import { Telemetry } from '../../src/telemetry/telemetry.js';
import { eventually, holdExports, produceTraces, startReceiver, type TestReceiver } from '../sinks/helpers.js';
import { describeKafka, startKafkaBackend, useMockCluster } from './mock-fixture.js';

describeKafka('sink worker threads over Kafka (3-broker librdkafka mock cluster)', () => {
  const cluster = useMockCluster({ otlp_spans: 2 });
  let backend: KafkaBackend | undefined;
  let pipelines: Pipelines | undefined;
  let sink: TestReceiver | undefined;
  afterEach(async () => {
    await pipelines?.shutdown();
    await sink?.close();
    await backend?.shutdown();
    pipelines = backend = sink = undefined;
  });

  it('runs the members on a sink worker, restarts it when killed, and delivers again what it had not committed', async () => {
    backend = await startKafkaBackend(cluster());
    const spans = await produceTraces(backend, { service: 'kafka-phoenix', traces: 12, spansPerTrace: 1 });
    sink = await startReceiver();
    // The first thread dies with its export in flight, never answered.
    const held = holdExports(sink);
    const telemetry = new Telemetry();
    const config = configSchema.parse({
      sinks: { workers: 1 },
      pipelines: [{ group: 'kafka-phoenix', topics: ['otlp_spans'], sink: { type: 'otlphttp', endpoint: sink.url }, batch: { max_records: 4, max_wait: 0 } }],
    });
    pipelines = createPipelines({ pipelines: config.pipelines, workers: config.sinks.workers, backend, telemetry, logger: silentLogger });
    await pipelines.start();
    expect(pipelines.workers).toBe(1);
    await eventually('an export in flight', () => held.requests() > 0, 30_000);
    // Only where it started (the partition's start) is committed: nothing the sink has not accepted.
    expect(await backend.fetchOffsets('kafka-phoenix', [{ topic: 'otlp_spans', partition: 0 }])).toMatchObject([{ offset: 0 }]);

    held.release();
    await pipelines.killWorker(0);
    await eventually('every span delivered', () => held.seen.size === spans.length, 45_000);
    expect([...held.seen].sort()).toEqual(spans.map((s) => s.spanContext().spanId).sort());
    // Committed after the sink accepted: the group's offset reaches the end of the partition.
    await eventually(
      'the offsets committed',
      async () => (await backend!.fetchOffsets('kafka-phoenix', [{ topic: 'otlp_spans', partition: 0 }]))[0]?.offset === 12,
      30_000,
    );
    expect(await telemetry.metricsText()).toMatch(/tributary_sink_worker_restarts_total\{worker="0"\} 1\b/);
    expect(await telemetry.metricsText()).toMatch(/tributary_sink_records_total\{[^}]*pipeline="kafka-phoenix"[^}]*\} (1[2-9]|[2-9]\d)/);
  }, 120_000);
});
