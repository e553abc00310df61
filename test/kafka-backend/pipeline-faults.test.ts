/**
 * Runs on: main thread (tests). A pipeline over Kafka whose group coordinator and partition
 * leaders misbehave, injected into librdkafka's mock cluster: every record reaches the sink (at
 * least once) and the group's committed offsets reach the end of the partitions once the faults
 * pass, without a restart.
 */
import { afterEach, it, vi } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import type { KafkaBackend } from '../../src/log/kafka/kafka-backend.js';
import { createPipelines, type Pipelines } from '../../src/sinks/runtime/pipelines.js';
import { silentLogger } from '../../src/telemetry/logger.js';
import { Telemetry } from '../../src/telemetry/telemetry.js';
import { eventually, produceTraces, spanIdsOf, startReceiver, type TestReceiver } from '../sinks/helpers.js';
import { describeKafka, startKafkaBackend, useMockCluster } from './mock-fixture.js';

vi.setConfig({ testTimeout: 120_000 });

/** Kafka's error codes, as the coordinator answers them. */
const KAFKA = { REQUEST_TIMED_OUT: 7, COORDINATOR_LOAD_IN_PROGRESS: 14, COORDINATOR_NOT_AVAILABLE: 15, NOT_COORDINATOR: 16, REBALANCE_IN_PROGRESS: 27 };
const API = { OffsetCommit: 8, Heartbeat: 12 };

describeKafka('a pipeline over Kafka while its coordinator and leaders misbehave (3-broker librdkafka mock cluster)', () => {
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

  /** A pipeline of `members` members on one sink worker, delivering to a test receiver that counts every span id. */
  async function startPipeline(group: string, members: number) {
    backend = await startKafkaBackend(cluster());
    sink = await startReceiver();
    const seen = new Set<string>();
    sink.respond = (req) => {
      for (const id of spanIdsOf(req.body)) seen.add(id);
      return { status: 200 };
    };
    const config = configSchema.parse({
      sinks: { workers: 1 },
      pipelines: [{ group, topics: ['otlp_spans'], members, sink: { type: 'otlphttp', endpoint: sink.url }, batch: { max_records: 3, max_wait: 0 } }],
    });
    pipelines = createPipelines({ pipelines: config.pipelines, workers: config.sinks.workers, backend, telemetry: new Telemetry(), logger: silentLogger });
    await pipelines.start();
    const produced: string[] = [];
    const produce = async (round: number, traces = 5) => {
      for (const partition of [0, 1]) {
        const spans = await produceTraces(backend!, { service: `${group}-${round}`, traces, spansPerTrace: 1, partition });
        produced.push(...spans.map((s) => s.spanContext().spanId));
      }
    };
    /** Every span produced reached the sink, and the group's offsets stand at the partitions' ends. */
    const caughtUp = async () => {
      await eventually('every span delivered', () => produced.every((id) => seen.has(id)), 45_000);
      const ends = (await backend!.describeTopic('otlp_spans')).partitions.map((p) => p.highWatermark);
      await eventually(
        `the offsets committed up to ${ends}`,
        async () => {
          const committed = await backend!.fetchOffsets(group, [0, 1].map((partition) => ({ topic: 'otlp_spans', partition })));
          return committed.length === 2 && committed.every((c) => c.offset === ends[c.partition]);
        },
        30_000,
      );
    };
    return { produce, caughtUp };
  }

  it('commits again a commit the coordinator failed to store while the partitions stayed with the member, so an idle group shows no lag', async () => {
    const group = 'commit-faults';
    const { produce, caughtUp } = await startPipeline(group, 1);
    await produce(0);
    await caughtUp();
    // The last batches' commits meet a coordinator that is moving or loading; no batch comes after
    // them to commit past them.
    await cluster().pushRequestErrors(API.OffsetCommit, [
      KAFKA.COORDINATOR_NOT_AVAILABLE,
      KAFKA.NOT_COORDINATOR,
      KAFKA.REQUEST_TIMED_OUT,
      KAFKA.COORDINATOR_LOAD_IN_PROGRESS,
      KAFKA.REBALANCE_IN_PROGRESS,
    ]);
    await produce(1, 1);
    await caughtUp();
  });

  it('delivers every record across rebalances the coordinator forces, coordinator moves and partition leader moves', async () => {
    const group = 'moving-cluster';
    const { produce, caughtUp } = await startPipeline(group, 2);
    for (let round = 0; round < 4; round++) {
      await produce(round);
      await cluster().pushRequestErrors(API.Heartbeat, [KAFKA.REBALANCE_IN_PROGRESS]);
      await cluster().setCoordinator(group, 1 + (round % 3));
      await cluster().setLeader('otlp_spans', round % 2, 1 + ((round + 1) % 3));
      await new Promise((r) => setTimeout(r, 500));
    }
    await caughtUp();
  });
});
