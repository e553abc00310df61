import { describe, expect, it } from 'vitest';
import { protoToJson } from '../../src/otlp/proto-to-json.js';
import { DLQ_HEADERS } from '../../src/sinks/runtime/dead-letter.js';
import { useDataDirs } from '../log/helpers.js';
import { caughtUp, eventually, produceTraces, readAll, type ReceiverAnswer, spanIdsOf, usePipelineRun } from './helpers.js';

describe('sink pipeline runtime', () => {
  const dataDir = useDataDirs();
  const run = usePipelineRun(dataDir);
  const { receiver, committed } = run;

  it('runs `members` members that split the partitions and deliver everything', async () => {
    const log = await run.startLog(4);
    const sink = await receiver();
    for (let p = 0; p < 4; p++) await produceTraces(log.log, { service: 'cart', traces: 5, spansPerTrace: 1, partition: p });
    const pipelines = run.pipelinesOver(log, [{ group: 'pair', topics: ['otlp_spans'], members: 2, sink: { type: 'otlphttp', endpoint: sink.url } }]);
    await pipelines.start();

    await eventually('lag 0', () => caughtUp(log, 'pair', ['otlp_spans']));
    await eventually('two partitions each', async () => {
      const { state, members } = await log.log.describeGroup('pair');
      return state === 'Stable' && members.map((m) => m.assignment.length).join() === '2,2';
    });
    expect(await committed('pair')).toBe(20);
  });

  it('dead-letters a batch once retries pass max_elapsed_time, or drops it loudly when dead letters are off', async () => {
    const log = await run.startLog(1);
    const down = await receiver();
    down.respond = () => ({ status: 503, body: 'down for maintenance' });
    await produceTraces(log.log, { service: 'cart', traces: 3, spansPerTrace: 1 });
    const retry = { initial_interval: 10, max_interval: 20, max_elapsed_time: 100 };
    const pipelines = run.pipelinesOver(log, [
      { group: 'patient', topics: ['otlp_spans'], sink: { type: 'otlphttp', endpoint: down.url }, retry },
      { group: 'careless', topics: ['otlp_spans'], sink: { type: 'otlphttp', endpoint: down.url }, retry, dead_letter: { enabled: false } },
    ]);
    await pipelines.start();

    await eventually('both caught up', async () => (await caughtUp(log, 'patient', ['otlp_spans'])) && caughtUp(log, 'careless', ['otlp_spans']));
    const dead = await readAll(log.log, 'patient.dlq');
    expect(dead).toHaveLength(3);
    const message = dead[0].headers.find((h) => h.key === DLQ_HEADERS.message)?.value.toString();
    expect(message).toMatch(/^gave up after \d+ ms of retries: .*503: down for maintenance/);
    expect(dead[0].headers.find((h) => h.key === DLQ_HEADERS.code)?.value.toString()).toBe('SINK_UNAVAILABLE');
    await expect(log.log.describeTopic('careless.dlq')).rejects.toMatchObject({ code: 'UNKNOWN_TOPIC' });
    const metrics = await log.telemetry.metricsText();
    expect(metrics).toMatch(/tributary_sink_records_total\{pipeline="careless",outcome="dropped"\} 3\b/);
    expect(metrics).toMatch(/tributary_sink_records_total\{pipeline="patient",outcome="dead_lettered"\} 3\b/);
  });

  it('finishes the batch in flight at shutdown and commits it', async () => {
    // A session the member keeps however late a heartbeat comes on a loaded machine: evicted
    // (300 ms, the fixture's, missed once), its commit is refused as Kafka refuses it, and 0 is committed.
    const log = await run.startLog(1, { session_timeout: 10_000, heartbeat_interval: 100 });
    const slow = await receiver();
    let release!: (answer: ReceiverAnswer) => void;
    const requestSeen = new Promise<void>((seen) => {
      slow.respond = () => {
        seen();
        return new Promise((resolve) => {
          release = resolve;
        });
      };
    });
    await produceTraces(log.log, { service: 'cart', traces: 5, spansPerTrace: 1 });
    const pipelines = run.pipelinesOver(log, [{ group: 'drain', topics: ['otlp_spans'], sink: { type: 'otlphttp', endpoint: slow.url } }]);
    await pipelines.start();
    await requestSeen;

    const stopped = pipelines.shutdown();
    release({ status: 200 });
    await stopped;
    expect(slow.requests).toHaveLength(1);
    expect(await committed('drain')).toBe(5);
  });

  it('exports at most batch.max_records records at a time, however the records arrive while a batch gathers', async () => {
    const log = await run.startLog(1);
    const sink = await receiver();
    const pipelines = run.pipelinesOver(log, [{ group: 'small', topics: ['otlp_spans'], sink: { type: 'otlphttp', endpoint: sink.url }, batch: { max_records: 2, max_wait: '2s' } }]);
    await pipelines.start();
    // One record, then two more while the batch that holds the first waits for a second.
    const spans = await produceTraces(log.log, { service: 'cart', traces: 1, spansPerTrace: 1 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    spans.push(...(await produceTraces(log.log, { service: 'cart', traces: 2, spansPerTrace: 1 })));
    await eventually('lag 0', () => caughtUp(log, 'small', ['otlp_spans']));
    // Each record is one ExportTraceServiceRequest with one ResourceSpans: an export holds as many as it has records.
    const perExport = sink.requests.map((r) => (protoToJson(r.body, 'ExportTraceServiceRequest') as { resourceSpans: unknown[] }).resourceSpans.length);
    expect(Math.max(...perExport), `records per export: ${perExport}`).toBeLessThanOrEqual(2);
    expect(new Set(sink.requests.flatMap((r) => spanIdsOf(r.body)))).toEqual(new Set(spans.map((s) => s.spanContext().spanId)));
  });

  it('a stuck sink holds back neither ingest nor the other groups', async () => {
    const log = await run.startLog(1);
    const stuck = await receiver();
    stuck.respond = () => new Promise(() => {});
    const healthy = await receiver();
    const pipelines = run.pipelinesOver(log, [
      { group: 'stuck', topics: ['otlp_spans'], sink: { type: 'otlphttp', endpoint: stuck.url, timeout: '60s' } },
      { group: 'healthy', topics: ['otlp_spans'], sink: { type: 'otlphttp', endpoint: healthy.url } },
    ]);
    await pipelines.start();
    await produceTraces(log.log, { service: 'cart', traces: 5, spansPerTrace: 1 });
    await eventually('healthy caught up', () => caughtUp(log, 'healthy', ['otlp_spans']));
    await produceTraces(log.log, { service: 'cart', traces: 5, spansPerTrace: 1 });
    await eventually('healthy caught up again', () => caughtUp(log, 'healthy', ['otlp_spans']));
    expect(await committed('healthy')).toBe(10);
    expect(await committed('stuck')).toBe(0);
    // Shutting down does not wait for the stuck export: its batch stays uncommitted for the next run.
    await stuck.close();
  });
});
