import { afterEach, describe, expect, it } from 'vitest';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { protoToJson } from '../../src/otlp/proto-to-json.js';
import { WireWriter } from '../../src/otlp/wire-writer.js';
import { otlpHttpSinkFactory } from '../../src/sinks/otlphttp/otlphttp-sink.js';
import { DLQ_HEADERS } from '../../src/sinks/runtime/dead-letter.js';
import type { Pipelines } from '../../src/sinks/runtime/pipelines.js';
import type { GroupFixture } from '../groups/helpers.js';
import { useDataDirs } from '../log/helpers.js';
import { makeSpans } from '../otlp/fixtures.js';
import { batchOf, caughtUp, eventually, pipelinesOver, produceLogs, produceTraces, readAll, type ReceivedRequest, sinkContext, spanIdsOf, startLog, startReceiver, type TestReceiver } from './helpers.js';

const FAST_RETRY = { initial_interval: 10, max_interval: 50, max_elapsed_time: 0 };

function spanIds(requests: ReceivedRequest[]): string[] {
  const ids: string[] = [];
  for (const r of requests.filter((q) => q.path === '/v1/traces')) {
    const json = protoToJson(r.body, 'ExportTraceServiceRequest') as { resourceSpans?: { scopeSpans?: { spans?: { spanId: string }[] }[] }[] };
    for (const rs of json.resourceSpans ?? []) for (const ss of rs.scopeSpans ?? []) for (const s of ss.spans ?? []) ids.push(s.spanId);
  }
  return ids;
}

function logRecordCount(body: Uint8Array): number {
  const json = protoToJson(body, 'ExportLogsServiceRequest') as { resourceLogs?: { scopeLogs?: { logRecords?: unknown[] }[] }[] };
  return (json.resourceLogs ?? []).flatMap((rl) => rl.scopeLogs ?? []).reduce((n, sl) => n + (sl.logRecords?.length ?? 0), 0);
}

describe('otlphttp sink', () => {
  const dataDir = useDataDirs();
  let log: GroupFixture | undefined;
  let receiver: TestReceiver | undefined;
  let pipelines: Pipelines | undefined;
  afterEach(async () => {
    await pipelines?.shutdown();
    await log?.stop();
    await receiver?.close();
    pipelines = log = receiver = undefined;
  });


  it('forwards every span and log record, merging a batch into one request per signal', async () => {
    log = await startLog(dataDir());
    receiver = await startReceiver();
    const spans = [
      ...(await produceTraces(log.log, { service: 'cart', traces: 20, spansPerTrace: 3, partition: 0 })),
      ...(await produceTraces(log.log, { service: 'checkout', traces: 10, spansPerTrace: 2, partition: 1 })),
    ];
    await produceLogs(log.log, { service: 'cart', logs: 7 });
    pipelines = pipelinesOver(log, [
      {
        group: 'forward',
        topics: ['otlp_spans', 'otlp_logs'],
        sink: { type: 'otlphttp', endpoint: receiver.url, compression: 'gzip', headers: { authorization: 'Bearer secret-token' } },
        batch: { max_records: 1000, max_wait: 50 },
      },
    ]);
    await pipelines.start();

    await eventually('lag 0', () => caughtUp(log!, 'forward', ['otlp_spans', 'otlp_logs']));
    expect(spanIds(receiver.requests).sort()).toEqual(spans.map((s) => s.spanContext().spanId).sort());
    // 30 trace records became far fewer requests: merged without decoding.
    const traceRequests = receiver.requests.filter((r) => r.path === '/v1/traces');
    expect(traceRequests.length).toBeLessThan(30);
    expect(traceRequests[0].headers.authorization).toBe('Bearer secret-token');
    expect(traceRequests[0].headers['content-type']).toBe('application/x-protobuf');
    const logRequests = receiver.requests.filter((r) => r.path === '/v1/logs');
    const logRecords = logRequests.flatMap((r) => {
      const json = protoToJson(r.body, 'ExportLogsServiceRequest') as { resourceLogs: { scopeLogs: { logRecords: unknown[] }[] }[] };
      return json.resourceLogs.flatMap((rl) => rl.scopeLogs.flatMap((sl) => sl.logRecords));
    });
    expect(logRecords).toHaveLength(7);
    const metrics = await log.telemetry.metricsText();
    expect(metrics).toMatch(/tributary_sink_items_total\{pipeline="forward"\} 87\b/);
  });

  it('sends batches of over 64 KB one after another, each body whole: the memory of one is written again only once it was sent', async () => {
    log = await startLog(dataDir());
    receiver = await startReceiver();
    const spans = await produceTraces(log.log, { service: 'cart', traces: 1500, spansPerTrace: 4 });
    pipelines = pipelinesOver(log, [{ group: 'big', topics: ['otlp_spans'], sink: { type: 'otlphttp', endpoint: receiver.url }, batch: { max_records: 150, max_wait: 5 } }]);
    await pipelines.start();

    await eventually('lag 0', () => caughtUp(log!, 'big', ['otlp_spans']));
    const bodies = receiver.requests.filter((r) => r.path === '/v1/traces').map((r) => r.body.length);
    expect(bodies.length).toBeGreaterThanOrEqual(10);
    expect(Math.min(...bodies.slice(0, -1))).toBeGreaterThan(64 * 1024);
    // Every span exactly once: a body overwritten while sent would lose or repeat some, or not parse.
    expect(spanIds(receiver.requests).sort()).toEqual(spans.map((s) => s.spanContext().spanId).sort());
  });

  it('retries a sink that answers 503 until it recovers: nothing lost, lag back to 0, Retry-After honoured', async () => {
    log = await startLog(dataDir());
    receiver = await startReceiver();
    const attempts: number[] = [];
    receiver.respond = (_req, n) => {
      attempts.push(Date.now());
      if (n === 0) return { status: 503, headers: { 'retry-after': '1' }, body: 'overloaded' };
      if (n < 4) return { status: 503, body: 'still overloaded' };
      return { status: 200 };
    };
    const spans = await produceTraces(log.log, { service: 'cart', traces: 15, spansPerTrace: 2 });
    pipelines = pipelinesOver(log, [
      { group: 'flaky', topics: ['otlp_spans'], sink: { type: 'otlphttp', endpoint: receiver.url }, retry: FAST_RETRY, batch: { max_wait: 20 } },
    ]);
    await pipelines.start();

    await eventually('lag 0', () => caughtUp(log!, 'flaky', ['otlp_spans']));
    expect(new Set(spanIds(receiver.requests))).toEqual(new Set(spans.map((s) => s.spanContext().spanId)));
    expect(attempts[1] - attempts[0]).toBeGreaterThanOrEqual(1000);
    const metrics = await log.telemetry.metricsText();
    expect(metrics).toMatch(/tributary_sink_retries_total\{pipeline="flaky"\} 4\b/);
    expect(metrics).toMatch(/tributary_sink_failures_total\{pipeline="flaky",kind="retriable"\} 4\b/);
    expect(await readAll(log.log, 'otlp_spans', 1)).toEqual([]);
  });

  it('on retry, resends only the signals of the batch that were not accepted', async () => {
    log = await startLog(dataDir(), 1);
    receiver = await startReceiver();
    let logFailures = 0;
    receiver.respond = (req) => (req.path === '/v1/logs' && logFailures++ < 2 ? { status: 503 } : { status: 200 });
    const spans = await produceTraces(log.log, { service: 'cart', traces: 6, spansPerTrace: 2 });
    await produceLogs(log.log, { service: 'cart', logs: 3 });
    pipelines = pipelinesOver(log, [
      { group: 'mixed', topics: ['otlp_spans', 'otlp_logs'], sink: { type: 'otlphttp', endpoint: receiver.url }, retry: FAST_RETRY, batch: { max_wait: 200 } },
    ]);
    await pipelines.start();

    await eventually('lag 0', () => caughtUp(log!, 'mixed', ['otlp_spans', 'otlp_logs']));
    expect(spanIds(receiver.requests).sort()).toEqual(spans.map((s) => s.spanContext().spanId).sort());
    expect(receiver.requests.filter((r) => r.path === '/v1/logs')).toHaveLength(1);
  });

  it('sends each signal to its own endpoint where one is set, and a retry after one signal failed does not send the others again', async () => {
    log = await startLog(dataDir());
    receiver = await startReceiver();
    const spans = await produceTraces(log.log, { service: 'cart', traces: 5, spansPerTrace: 2 });
    await produceLogs(log.log, { service: 'cart', logs: 3 });
    // The second signal of the batch to arrive is refused once (503): the batch is retried.
    let first: string | undefined;
    let refused = false;
    receiver.respond = (request) => {
      first ??= request.path;
      if (request.path === first || refused) return { status: 200 };
      refused = true;
      return { status: 503 };
    };
    pipelines = pipelinesOver(log, [
      {
        group: 'split',
        topics: ['otlp_spans', 'otlp_logs'],
        sink: { type: 'otlphttp', endpoint: receiver.url, traces_endpoint: `${receiver.url}/custom/spans` },
        retry: FAST_RETRY,
        batch: { max_records: 1000, max_wait: 200 },
      },
    ]);
    await pipelines.start();

    await eventually('lag 0', () => caughtUp(log!, 'split', ['otlp_spans', 'otlp_logs']));
    expect(refused).toBe(true);
    expect(new Set(receiver.requests.map((r) => r.path))).toEqual(new Set(['/custom/spans', '/v1/logs']));
    const delivered = receiver.requests.filter((r) => r.path === '/custom/spans').flatMap((r) => spanIdsOf(r.body));
    expect(delivered.sort()).toEqual(spans.map((s) => s.spanContext().spanId).sort());
    expect(receiver.requests.filter((r) => r.path === '/v1/logs').reduce((n, r) => n + logRecordCount(r.body), 0)).toBe(3);
  });

  it('forwards the spans around a record with no value (a Kafka tombstone) and reads on past it', async () => {
    log = await startLog(dataDir());
    receiver = await startReceiver();
    const before = await produceTraces(log.log, { service: 'cart', traces: 2, spansPerTrace: 1 });
    // What a Kafka producer sends as a tombstone: a key and a null value.
    await log.log.produce('otlp_spans', 0, [{ key: Buffer.from('deleted'), value: null }]);
    const after = await produceTraces(log.log, { service: 'cart', traces: 2, spansPerTrace: 1 });
    pipelines = pipelinesOver(log, [{ group: 'around', topics: ['otlp_spans'], sink: { type: 'otlphttp', endpoint: receiver.url }, retry: FAST_RETRY, batch: { max_wait: 50 } }]);
    await pipelines.start();

    await eventually('lag 0', () => caughtUp(log!, 'around', ['otlp_spans']));
    expect(spanIds(receiver.requests).sort()).toEqual([...before, ...after].map((s) => s.spanContext().spanId).sort());
  });

  it('counts the items a destination refuses in a partial success', async () => {
    receiver = await startReceiver();
    // ExportTraceServiceResponse { partial_success (1) { rejected_spans (1): 2, error_message (2) } }
    const answer = new WireWriter().begin(1).tag(1, 0).uvarint(2).tag(2, 2).string('2 spans too old').end().finish();
    receiver.respond = () => ({ status: 200, headers: { 'content-type': 'application/x-protobuf' }, body: answer });
    const sink = otlpHttpSinkFactory.create({ type: 'otlphttp', endpoint: receiver.url }, sinkContext());
    const outcome = await sink.export(batchOf('traces', [ProtobufTraceSerializer.serializeRequest(makeSpans({ traces: 1, spansPerTrace: 3 }))!]));
    expect(outcome.rejectedItems).toBe(2);
  });

  it('sends a batch the sink rejects with 400 to the dead-letter topic with the reason, and moves on', async () => {
    log = await startLog(dataDir());
    receiver = await startReceiver();
    receiver.respond = () => ({ status: 400, body: 'span name too long' });
    await produceTraces(log.log, { service: 'cart', traces: 4, spansPerTrace: 1 });
    pipelines = pipelinesOver(log, [{ group: 'strict', topics: ['otlp_spans'], sink: { type: 'otlphttp', endpoint: receiver.url }, retry: FAST_RETRY }]);
    await pipelines.start();

    await eventually('lag 0', () => caughtUp(log!, 'strict', ['otlp_spans']));
    const dead = await readAll(log.log, 'strict.dlq');
    expect(dead).toHaveLength(4);
    const header = (key: string) => dead[0].headers.find((h) => h.key === key)?.value.toString();
    expect(header(DLQ_HEADERS.code)).toBe('SINK_REJECTED');
    expect(header(DLQ_HEADERS.status)).toBe('400');
    expect(header(DLQ_HEADERS.message)).toContain('span name too long');
    expect(header(DLQ_HEADERS.topic)).toBe('otlp_spans');
    expect(header('content-type')).toBe('application/x-protobuf');
    const original = await readAll(log.log, 'otlp_spans');
    expect(dead.map((r) => r.value)).toEqual(original.map((r) => r.value));
    // Each dead letter names the record it was, so an operator can find it and replay it.
    const origin = (r: (typeof dead)[number]) =>
      [DLQ_HEADERS.pipeline, DLQ_HEADERS.topic, DLQ_HEADERS.partition, DLQ_HEADERS.offset].map((key) => r.headers.find((h) => h.key === key)?.value.toString());
    expect(dead.map(origin)).toEqual(original.map((r) => ['strict', r.topic, String(r.partition), String(r.offset)]));
  });

  it('replays dead letters through a pipeline reading <group>.dlq, records a Kafka producer wrote without an otlp-signal header included', async () => {
    log = await startLog(dataDir());
    receiver = await startReceiver();
    // The records carry only content-type, as the Collector's Kafka exporter writes them.
    const spans = await produceTraces(log.log, { service: 'cart', traces: 3, spansPerTrace: 1 });
    let rejecting = true;
    receiver.respond = (req) => (req.path === '/strict/v1/traces' && rejecting ? { status: 400, body: 'not now' } : { status: 200 });
    pipelines = pipelinesOver(log, [
      { group: 'strict', topics: ['otlp_spans'], sink: { type: 'otlphttp', endpoint: `${receiver.url}/strict` }, retry: FAST_RETRY },
      { group: 'replay', topics: ['strict.dlq'], sink: { type: 'otlphttp', endpoint: `${receiver.url}/replay` }, retry: FAST_RETRY },
    ]);
    await pipelines.start();
    await eventually('the batch dead-lettered', async () => (await readAll(log!.log, 'strict.dlq').catch(() => [])).length === 3);
    rejecting = false;
    await eventually('replayed', () => receiver!.requests.some((r) => r.path === '/replay/v1/traces'));
    await eventually('lag 0', () => caughtUp(log!, 'replay', ['strict.dlq']));
    const replayed = receiver.requests.filter((r) => r.path === '/replay/v1/traces').map((r) => ({ ...r, path: '/v1/traces' }));
    expect(spanIds(replayed).sort()).toEqual(spans.map((s) => s.spanContext().spanId).sort());
    expect(await readAll(log.log, 'replay.dlq').catch(() => [])).toHaveLength(0);
  });
});
