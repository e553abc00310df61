/**
 * Runs on: main thread (tests). What OTLP clients of a Kafka-backed gateway get when the brokers
 * answer its Produce requests with errors, injected into librdkafka's mock cluster: retriable ones
 * are retried by the producer and answered 200, refusals reach the client with their status and
 * reason, and an error that leaves librdkafka's idempotent producer fatal does not stop the
 * gateway from storing the next requests. Every request answered 200 is read back from Kafka.
 */
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { createGateway, type Gateway } from '../../src/gateway.js';
import { silentLogger } from '../../src/telemetry/logger.js';
import { Telemetry } from '../../src/telemetry/telemetry.js';
import { eventually } from '../sinks/helpers.js';
import { describeKafka, kafkaConfig, useMockCluster } from './mock-fixture.js';

vi.setConfig({ testTimeout: 90_000 });

const ports = { receiver: { endpoint: '127.0.0.1:0', workers: 1 }, admin: { endpoint: '127.0.0.1:0' }, kafka: { listener: '' } };
/** Kafka's error codes, as Produce answers them. */
const KAFKA = { NOT_LEADER_OR_FOLLOWER: 6, REQUEST_TIMED_OUT: 7, MESSAGE_TOO_LARGE: 10, NOT_ENOUGH_REPLICAS: 19, OUT_OF_ORDER_SEQUENCE_NUMBER: 45, INVALID_RECORD: 87, TRANSPORT: -195 };
const PRODUCE = 0;

/** One span whose trace id (the record's key) is made from `n`. */
function traceJson(n: number) {
  const traceId = n.toString(16).padStart(32, '0');
  return { resourceSpans: [{ resource: { attributes: [] }, scopeSpans: [{ spans: [{ traceId, spanId: 'b7ad6b7169203331', name: `n-${n}`, startTimeUnixNano: '1', endTimeUnixNano: '2' }] }] }] };
}

describeKafka('a Kafka-backed gateway whose brokers answer Produce with errors (3-broker librdkafka mock cluster)', () => {
  const cluster = useMockCluster({ otlp_spans: 1, otlp_metrics: 1, otlp_logs: 1, otlp_events: 1 });
  const telemetry = new Telemetry();
  let gateway: Gateway;
  const acknowledged: number[] = [];
  let sent = 0;
  beforeAll(async () => {
    gateway = createGateway(kafkaConfig(cluster(), ports), { logger: silentLogger, telemetry });
    await gateway.start();
  });
  afterAll(async () => {
    await gateway?.shutdown();
  });

  const post = async () => {
    const n = ++sent;
    const response = await fetch(`http://127.0.0.1:${gateway.receiverAddress().port}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(traceJson(n)),
      signal: AbortSignal.timeout(30_000),
    });
    const answer = { status: response.status, retryAfter: response.headers.get('retry-after'), body: (await response.json()) as { message?: string } };
    if (answer.status === 200) acknowledged.push(n);
    return answer;
  };

  it('retries what the brokers answer with retriable errors, so the request is answered 200', async () => {
    for (const errors of [[KAFKA.NOT_LEADER_OR_FOLLOWER, KAFKA.NOT_LEADER_OR_FOLLOWER], [KAFKA.REQUEST_TIMED_OUT], [KAFKA.NOT_ENOUGH_REPLICAS], [KAFKA.TRANSPORT]]) {
      await cluster().pushRequestErrors(PRODUCE, errors);
      expect(await post(), `after ${errors}`).toMatchObject({ status: 200 });
    }
  });

  it('answers a record the brokers refuse as too large 413 with their reason', async () => {
    await cluster().pushRequestErrors(PRODUCE, [KAFKA.MESSAGE_TOO_LARGE]);
    const answer = await post();
    expect(answer).toMatchObject({ status: 413, retryAfter: null });
    expect(answer.body.message).toMatch(/produce to otlp_spans\[0\]: .*too large/i);
    expect(await post()).toMatchObject({ status: 200 });
  });

  it('answers a record the brokers refuse as invalid (a compacted topic wants keys, say) 400 with their reason', async () => {
    await cluster().pushRequestErrors(PRODUCE, [KAFKA.INVALID_RECORD]);
    const answer = await post();
    expect(answer).toMatchObject({ status: 400, retryAfter: null });
    expect(answer.body.message).toMatch(/produce to otlp_spans\[0\]: .*failed to validate record/i);
    expect(await post()).toMatchObject({ status: 200 });
  });

  it('stores the next requests after an error that left the idempotent producer fatal, without a restart', async () => {
    // librdkafka's idempotent producer cannot go on after a sequence its broker refuses: every
    // later produce of that producer fails ("Local: Fatal error"), so a new one must take over.
    // Twice: the producer that took over can fail too.
    for (let round = 0; round < 2; round++) {
      await cluster().pushRequestErrors(PRODUCE, [KAFKA.OUT_OF_ORDER_SEQUENCE_NUMBER]);
      expect(await post()).toMatchObject({ status: 503, retryAfter: '1' });
      // The exporter retries its 503: the next attempts are stored.
      await eventually('a request stored again', async () => (await post()).status === 200, 10_000);
      for (let i = 0; i < 3; i++) expect(await post()).toMatchObject({ status: 200 });
    }
    const metrics = await telemetry.metricsText();
    expect(metrics).toMatch(/tributary_log_kafka_produce_errors_total\{code="RECORD_TOO_LARGE"\} 1\b/);
  });

  it('has every request answered 200 in the topic', async () => {
    const stored = new Set<string>();
    for (let offset = 0, end = 1; offset < end; ) {
      const page = await gateway.backend.fetch({ topic: 'otlp_spans', partition: 0, offset });
      for (const r of page.records) stored.add(r.key!.toString());
      [offset, end] = [page.nextOffset, page.highWatermark];
    }
    expect(acknowledged.length).toBeGreaterThan(10);
    for (const n of acknowledged) expect(stored).toContain(n.toString(16).padStart(32, '0'));
  });
});
