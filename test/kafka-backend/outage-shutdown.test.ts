/**
 * Runs on: main thread (tests). A Kafka-backed gateway (role all) shut down while its whole
 * cluster is away, its pipeline's members holding batches their slow sink has not taken yet: the
 * shutdown ends within the producer's close rather than waiting out a commit timeout per batch,
 * and the next start on the same config delivers every record (at least once).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it, vi } from 'vitest';
import { createGateway, type Gateway } from '../../src/gateway.js';
import { silentLogger } from '../../src/telemetry/logger.js';
import { Telemetry } from '../../src/telemetry/telemetry.js';
import { eventually, produceTraces, spanIdsOf, startReceiver, type TestReceiver } from '../sinks/helpers.js';
import { describeKafka, kafkaConfig, useMockCluster } from './mock-fixture.js';

vi.setConfig({ testTimeout: 150_000 });

const BROKERS = [1, 2, 3];

describeKafka('a Kafka-backed gateway shut down while its cluster is away (3-broker librdkafka mock cluster)', () => {
  const cluster = useMockCluster({ otlp_spans: 2, otlp_metrics: 1, otlp_logs: 1, otlp_events: 1 });
  const dataDir = mkdtempSync(join(tmpdir(), 'tributary-outage-shutdown-'));
  const gateways: Gateway[] = [];
  let sink: TestReceiver | undefined;
  afterAll(async () => {
    for (const id of BROKERS) await cluster().setBrokerDown(id, false);
    for (const g of gateways) await g.shutdown();
    await sink?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const start = async () => {
    const config = kafkaConfig(cluster(), {
      receiver: { endpoint: '127.0.0.1:0', workers: 1 },
      admin: { endpoint: '127.0.0.1:0' },
      kafka: { listener: '' },
      log: { data_dir: dataDir },
      sinks: { workers: 1 },
      pipelines: [{ group: 'outage-stop', topics: ['otlp_spans'], members: 2, sink: { type: 'otlphttp', endpoint: sink!.url }, batch: { max_records: 3, max_wait: 0 } }],
    });
    const gateway = createGateway(config, { logger: silentLogger, telemetry: new Telemetry() });
    gateways.push(gateway);
    await gateway.start();
    return gateway;
  };

  it('ends within the producer\'s close, not a commit timeout per batch held, and the next start delivers every record', async () => {
    sink = await startReceiver();
    const seen = new Set<string>();
    let slow = false;
    sink.respond = async (req) => {
      if (slow) await new Promise((r) => setTimeout(r, 1_500));
      for (const id of spanIdsOf(req.body)) seen.add(id);
      return { status: 200 };
    };
    const first = await start();
    const produced: string[] = [];
    const produce = async (gateway: Gateway, service: string, traces: number) => {
      for (const partition of [0, 1]) {
        const spans = await produceTraces(gateway.backend, { service, traces, spansPerTrace: 1, partition });
        produced.push(...spans.map((s) => s.spanContext().spanId));
      }
    };
    await produce(first, 'before', 6);
    await eventually('the first spans delivered', () => produced.every((id) => seen.has(id)), 30_000);

    // The sink slows down: the members hold batches when the cluster goes away.
    slow = true;
    await produce(first, 'held', 12);
    await new Promise((r) => setTimeout(r, 1_000));
    for (const id of BROKERS) await cluster().setBrokerDown(id, true);
    const started = Date.now();
    await first.shutdown();
    // The members' exports and the producer's close: 10-11 s on a quiet machine, 17 s seen under a
    // full test run's load; each commit waiting out its 10 s read back made it 23-34 s.
    expect(Date.now() - started).toBeLessThan(21_000);

    for (const id of BROKERS) await cluster().setBrokerDown(id, false);
    slow = false;
    const second = await start();
    await produce(second, 'after', 3);
    await eventually('every span delivered', () => produced.every((id) => seen.has(id)), 60_000);
  });
});
