/**
 * Runs on: main thread (tests). What OTLP clients of a Kafka-backed gateway get while its Kafka
 * cluster is away, and what is stored once it is back: the cluster is the librdkafka mock (its
 * brokers taken down) or Tributary's own Kafka listener (its gateway stopped and started again on
 * the same data directory). produce_timeout stays at its default (10 s), the OpenTelemetry JS
 * exporters' default timeout.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { createGateway, type Gateway } from '../../src/gateway.js';
import { silentLogger } from '../../src/telemetry/logger.js';
import { Telemetry } from '../../src/telemetry/telemetry.js';
import { startKafkaGateway, type KafkaGateway } from '../kafka/helpers.js';
import { makeSpans } from '../otlp/fixtures.js';
import { eventually } from '../sinks/helpers.js';
import type { KafkaBackend } from '../../src/log/kafka/kafka-backend.js';
import { describeKafka, kafkaConfig, startKafkaBackend, useMockCluster } from './mock-fixture.js';

vi.setConfig({ testTimeout: 90_000 });

const ports = { receiver: { endpoint: '127.0.0.1:0', workers: 1 }, admin: { endpoint: '127.0.0.1:0' }, kafka: { listener: '' } };

async function startGateway(brokers: string[]): Promise<Gateway> {
  const gateway = createGateway(kafkaConfig({ brokers }, ports), { logger: silentLogger, telemetry: new Telemetry() });
  await gateway.start();
  return gateway;
}

/** One trace of one span as OTLP/JSON, its trace id made from `n`. */
function traceJson(n: number) {
  const traceId = n.toString(16).padStart(32, '0');
  return {
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'outage' } }] },
        scopeSpans: [{ spans: [{ traceId, spanId: 'b7ad6b7169203331', name: `probe-${n}`, startTimeUnixNano: '1', endTimeUnixNano: '2' }] }],
      },
    ],
  };
}

async function postTrace(gateway: Gateway, n: number): Promise<{ status: number; retryAfter: string | null; ms: number }> {
  const started = Date.now();
  const response = await fetch(`http://127.0.0.1:${gateway.receiverAddress().port}/v1/traces`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(traceJson(n)),
    signal: AbortSignal.timeout(30_000),
  });
  await response.arrayBuffer();
  return { status: response.status, retryAfter: response.headers.get('retry-after'), ms: Date.now() - started };
}

const readyz = async (gateway: Gateway) => (await fetch(`http://127.0.0.1:${gateway.adminAddress().port}/readyz`)).status;

describeKafka('OTLP clients while the Kafka cluster is away (3-broker librdkafka mock cluster)', () => {
  const cluster = useMockCluster({ otlp_spans: 3, otlp_metrics: 1, otlp_logs: 1, otlp_events: 1 });
  let gateway: Gateway;
  beforeAll(async () => {
    gateway = await startGateway(cluster().brokers);
  });
  afterAll(async () => {
    await gateway?.shutdown();
  });

  it('answers 503 with Retry-After at once, not after produce_timeout, and an SDK exporter with its defaults gets its spans in once the cluster is back', async () => {
    expect((await postTrace(gateway, 1)).status).toBe(200);
    for (const id of [1, 2, 3]) await cluster().setBrokerDown(id, true);
    let restored = false;
    try {
      // Sent before the gateway knows: queued in librdkafka, and answered once it reports every broker down.
      const queued = await postTrace(gateway, 4);
      expect(queued).toMatchObject({ status: 503, retryAfter: '1' });
      expect(queued.ms).toBeLessThan(5_000);
      await eventually('/readyz to report the cluster away', async () => (await readyz(gateway)) === 503, 20_000);
      // The OpenTelemetry JS exporters give up on a request after 10 s: a 503 must come well before.
      const answer = await postTrace(gateway, 2);
      expect(answer).toMatchObject({ status: 503, retryAfter: '1' });
      expect(answer.ms).toBeLessThan(2_000);

      // An exporter with its default settings retries the 503s; the cluster comes back meanwhile.
      const exporter = new OTLPTraceExporter({ url: `http://127.0.0.1:${gateway.receiverAddress().port}/v1/traces` });
      const exported = new Promise<{ code: number; error?: Error }>((resolve) => exporter.export(makeSpans({ service: 'sdk', traces: 1, spansPerTrace: 1 }), resolve));
      await new Promise((r) => setTimeout(r, 1_500));
      for (const id of [1, 2, 3]) await cluster().setBrokerDown(id, false);
      restored = true;
      const result = await exported;
      await exporter.shutdown();
      expect(result.error?.message).toBeUndefined();
      expect(result.code).toBe(0);
    } finally {
      if (!restored) for (const id of [1, 2, 3]) await cluster().setBrokerDown(id, false);
    }
    expect((await postTrace(gateway, 3)).status).toBe(200);
    expect(await readyz(gateway)).toBe(200);
  });

  it('takes requests again once the cluster is back, though the system clock was set back an hour during the outage', async () => {
    for (const id of [1, 2, 3]) await cluster().setBrokerDown(id, true);
    let restored = false;
    try {
      await eventually('/readyz to report the cluster away', async () => (await readyz(gateway)) === 503, 20_000);
      // An NTP step, a VM restored from a snapshot: the wall clock goes back an hour.
      const wallClock = Date.now.bind(Date);
      vi.spyOn(Date, 'now').mockImplementation(() => wallClock() - 3_600_000);
      for (const id of [1, 2, 3]) await cluster().setBrokerDown(id, false);
      restored = true;
      await eventually('a request to be taken once the cluster answers', async () => (await postTrace(gateway, 5)).status === 200, 20_000);
      expect(await readyz(gateway)).toBe(200);
    } finally {
      vi.restoreAllMocks();
      if (!restored) for (const id of [1, 2, 3]) await cluster().setBrokerDown(id, false);
    }
  });
});

describeKafka("a Kafka-backed gateway while Tributary's own Kafka listener, its cluster, restarts", () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tributary-outage-listener-'));
  let listener: KafkaGateway | undefined;
  let gateway: Gateway | undefined;
  afterAll(async () => {
    // The Kafka-backed gateway first, while its cluster still answers.
    await gateway?.shutdown();
    await listener?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers 503 with Retry-After within seconds while the listener is down, recovers without a restart, and every request answered 200 is in the log', async () => {
    listener = await startKafkaGateway({ dataDir, partitions: 3 });
    const port = Number(listener.bootstrap.split(':')[1]);
    gateway = await startGateway([listener.bootstrap]);

    const acknowledged: number[] = [];
    const send = async (n: number) => {
      const answer = await postTrace(gateway!, n);
      if (answer.status === 200) acknowledged.push(n);
      return answer;
    };
    for (let n = 1; n <= 5; n++) expect((await send(n)).status).toBe(200);

    await listener.stop();
    listener = undefined;
    await eventually('/readyz to report the cluster away', async () => (await readyz(gateway!)) === 503, 20_000);
    for (let n = 6; n <= 8; n++) {
      const answer = await send(n);
      expect(answer).toMatchObject({ status: 503, retryAfter: '1' });
      expect(answer.ms).toBeLessThan(2_000);
    }

    listener = await startKafkaGateway({ dataDir, partitions: 3, kafka: { listener: `127.0.0.1:${port}` } });
    // Senders retry their 503s; the gateway takes requests again without a restart.
    await eventually('a request to be stored again', async () => (await send(100)).status === 200 || undefined, 30_000);
    for (let n = 101; n <= 105; n++) expect((await send(n)).status).toBe(200);
    expect(await readyz(gateway)).toBe(200);

    const stored = new Set<string>();
    for (let partition = 0; partition < 3; partition++) {
      const { records } = await listener.gateway.backend.fetch({ topic: 'otlp_spans', partition, offset: 0 });
      for (const r of records) stored.add(r.key!.toString());
    }
    for (const n of acknowledged) expect(stored).toContain(n.toString(16).padStart(32, '0'));
  });
});

describeKafka('the admin API of a Kafka-backed gateway asked while its cluster is away', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tributary-outage-admin-'));
  let listener: KafkaGateway | undefined;
  let backend: KafkaBackend | undefined;
  afterAll(async () => {
    await backend?.shutdown();
    await listener?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers the groups calls (refused at once while away, the groups once back), even when the first one comes while a metadata request waits', async () => {
    listener = await startKafkaGateway({ dataDir, partitions: 1 });
    const port = Number(listener.bootstrap.split(':')[1]);
    backend = await startKafkaBackend({ brokers: [listener.bootstrap] });
    await listener.stop();
    listener = undefined;
    // A metadata request waiting for the cluster (up to its timeout) when the groups are first asked for.
    const topics = backend.listTopics().catch((err: unknown) => err);
    await new Promise((r) => setTimeout(r, 200));
    const settled = (p: Promise<unknown>) => p.then(() => 'answered', () => 'answered');
    const whileAway = settled(backend.listGroups());
    await topics;
    const within = (ms: number) => new Promise((r) => setTimeout(() => r('no answer'), ms));
    expect(await Promise.race([whileAway, within(30_000)])).toBe('answered');
    // Once librdkafka reported every broker down, the groups calls are refused at once (no admin
    // request is sent to a coordinator that is away: librdkafka can abort on those when it returns).
    const refusedAtOnce = async () => {
      const started = Date.now();
      const err = await backend!.listGroups().then(() => undefined, (e: unknown) => e);
      return err && (err as { code?: string }).code === 'BROKER_UNAVAILABLE' && Date.now() - started < 1_000 ? err : undefined;
    };
    expect(await eventually('a groups call refused at once while the cluster is away', refusedAtOnce, 20_000)).toMatchObject({ retriable: true });

    listener = await startKafkaGateway({ dataDir, partitions: 1, kafka: { listener: `127.0.0.1:${port}` } });
    const groups = await eventually('the groups to be listed again', () => backend!.listGroups().catch(() => undefined), 30_000);
    expect(Array.isArray(groups)).toBe(true);
  });
});
