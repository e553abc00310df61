/**
 * Runs on: main thread (tests). A pipeline over Kafka that has not delivered yet (its sink refuses
 * every export) commits where it starts in the partitions its group never committed, as over the
 * embedded log: its lag counts from there, and a restart before its first delivery starts there
 * again rather than at a `latest` that moved past what arrived meanwhile.
 */
import { afterEach, expect, it, vi } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import type { KafkaBackend } from '../../src/log/kafka/kafka-backend.js';
import { createPipelines, type Pipelines } from '../../src/sinks/runtime/pipelines.js';
import { silentLogger } from '../../src/telemetry/logger.js';
import { Telemetry } from '../../src/telemetry/telemetry.js';
import { eventually, produceTraces, spanIdsOf, startReceiver, type TestReceiver } from '../sinks/helpers.js';
import { describeKafka, startKafkaBackend, useMockCluster } from './mock-fixture.js';

vi.setConfig({ testTimeout: 120_000 });

const PARTITIONS = [0, 1];

describeKafka('a pipeline over Kafka before its first delivery (3-broker librdkafka mock cluster)', () => {
  const cluster = useMockCluster({ otlp_spans: PARTITIONS.length });
  let backend: KafkaBackend | undefined;
  let pipelines: Pipelines | undefined;
  let sink: TestReceiver | undefined;
  afterEach(async () => {
    await pipelines?.shutdown();
    await sink?.close();
    await backend?.shutdown();
    pipelines = backend = sink = undefined;
  });

  // sticky is librdkafka's cooperative (incremental) assignor, range an eager one: each assigns its own way.
  it.each(['sticky', 'range'])('commits where it starts at latest, so its lag shows and a restart before its first delivery loses nothing (assignor %s)', async (assignor) => {
    const group = `late-over-kafka-${assignor}`;
    backend = await startKafkaBackend(cluster());
    const log = backend;
    // The backend is down: every export is refused (retriable), and the spans offered are counted.
    const offered = new Set<string>();
    const delivered = new Set<string>();
    sink = await startReceiver();
    sink.respond = (req) => {
      for (const id of spanIdsOf(req.body)) offered.add(id);
      return { status: 503 };
    };
    const produce = async (service: string) => {
      const ids: string[] = [];
      for (const partition of PARTITIONS) ids.push(...(await produceTraces(log, { service, traces: 3, spansPerTrace: 1, partition })).map((s) => s.spanContext().spanId));
      return ids;
    };
    const config = configSchema.parse({
      sinks: { workers: 1 },
      pipelines: [
        {
          group,
          topics: ['otlp_spans'],
          auto_offset_reset: 'latest',
          assignor,
          sink: { type: 'otlphttp', endpoint: sink.url },
          batch: { max_wait: '5ms' },
          retry: { initial_interval: '20ms', max_interval: '50ms' },
        },
      ],
    });
    const startPipelines = async () => {
      pipelines = createPipelines({ pipelines: config.pipelines, workers: config.sinks.workers, backend: log, telemetry: new Telemetry(), logger: silentLogger });
      await pipelines.start();
    };
    const committed = async () => {
      const offsets = await log.fetchOffsets(group, PARTITIONS.map((partition) => ({ topic: 'otlp_spans', partition })));
      return PARTITIONS.map((p) => offsets.find((o) => o.partition === p)?.offset ?? null);
    };
    const ends = async () => (await log.describeTopic('otlp_spans')).partitions.map((p) => p.highWatermark);

    const before = await produce('before');
    await startPipelines();
    // Where it starts shows at once, as the group's committed offsets: the end of each partition then.
    const start = await eventually('the start committed', async () => {
      const c = await committed();
      return c.every((o) => o !== null) && c;
    }, 30_000);
    expect(start).toEqual(await ends());

    const after = await produce('after');
    await eventually('the new spans offered and refused', () => after.every((id) => offered.has(id)), 30_000);
    // Its lag (high watermark less committed offset) counts what it has yet to deliver.
    const lag = (await ends()).reduce((n, end, p) => n + end - (start[p] ?? end), 0);
    expect(lag).toBe(after.length);

    // The backend comes back while the pipeline restarts: what arrived after the start is delivered, and only that.
    await pipelines?.shutdown();
    sink.respond = (req) => {
      for (const id of spanIdsOf(req.body)) delivered.add(id);
      return { status: 200 };
    };
    await startPipelines();
    await eventually('the new spans delivered after the restart', () => after.every((id) => delivered.has(id)), 60_000);
    expect(before.filter((id) => delivered.has(id))).toEqual([]);
    await eventually('caught up', async () => JSON.stringify(await committed()) === JSON.stringify(await ends()), 30_000);
  });
});
