import { afterEach, describe, expect, it } from 'vitest';
import { TributaryError } from '../../src/errors.js';
import { RecordView } from '../../src/log/record-view.js';
import { DeadLetterTopic, DLQ_HEADERS } from '../../src/sinks/runtime/dead-letter.js';
import { type DeliveryContext, deliverBatch } from '../../src/sinks/runtime/deliver-batch.js';
import { createSinkMetrics } from '../../src/sinks/runtime/sink-metrics.js';
import type { Sink } from '../../src/sinks/sink.js';
import { LogThrottle } from '../../src/telemetry/log-throttle.js';
import { createLogger, type Logger, silentLogger } from '../../src/telemetry/logger.js';
import type { GroupFixture } from '../groups/helpers.js';
import { useDataDirs } from '../log/helpers.js';
import { produceTraces, readAll, startLog } from './helpers.js';

/** A sink whose first exports fail with `failure`, then succeed; it notes when each attempt came. */
function failingSink(failures: number, failure: () => unknown): Sink & { attempts: number[] } {
  const attempts: number[] = [];
  return {
    type: 'failing',
    attempts,
    start: async () => {},
    shutdown: async () => {},
    async export() {
      attempts.push(performance.now());
      if (attempts.length <= failures) throw failure();
      return {};
    },
  };
}

/**
 * What the runtime makes of a sink's failure: an error the sink did not classify is retried with
 * backoff, as the Collector does; only one the sink marked permanent goes to the dead-letter topic.
 */
describe('sink errors: retried unless marked permanent', () => {
  const dataDir = useDataDirs();
  let log: GroupFixture | undefined;
  afterEach(async () => {
    await log?.stop();
    log = undefined;
  });

  /** What a pipeline member hands deliverBatch: dead letters to `p.dlq` of the fixture's log. */
  function contextOf(f: GroupFixture, sink: Sink, retry = { initial_interval: 40, max_interval: 200, max_elapsed_time: 300_000 }, logger: Logger = silentLogger): DeliveryContext {
    return {
      pipeline: 'p',
      sink,
      retry,
      deadLetter: new DeadLetterTopic(f.log, 'p.dlq', 'p'),
      metrics: createSinkMetrics(f.telemetry),
      logger,
      rejections: new LogThrottle(),
      stopping: new AbortController().signal,
    };
  }

  async function deliverTo(sink: Sink, retry?: DeliveryContext['retry']) {
    log = await startLog(dataDir(), 1);
    await produceTraces(log.log, { service: 'cart', traces: 3, spansPerTrace: 2 });
    const records = await readAll(log.log, 'otlp_spans');
    const result = await deliverBatch(records, contextOf(log, sink, retry));
    return { result, records, metrics: await log.telemetry.metricsText() };
  }

  it('retries an error the sink did not classify, with growing waits, and delivers the batch; nothing is dead-lettered', async () => {
    // What a sink's own code lets through: a plain Error from the OS, not a TributaryError.
    const sink = failingSink(3, () => Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }));
    const { result, metrics } = await deliverTo(sink);
    expect(result).toBe('exported');
    expect(sink.attempts).toHaveLength(4);
    // Exponential from 40 ms with ±50 % jitter: never under 20, 40 and 80 ms.
    const waits = sink.attempts.slice(1).map((t, i) => t - sink.attempts[i]);
    waits.forEach((wait, i) => {
      expect(wait).toBeGreaterThanOrEqual(20 * 2 ** i - 1);
    });
    expect(metrics).toMatch(/tributary_sink_failures_total\{pipeline="p",kind="retriable"\} 3\b/);
    expect(metrics).not.toMatch(/kind="permanent"/);
    expect(metrics).toMatch(/tributary_sink_retries_total\{pipeline="p"\} 3\b/);
    await expect(log!.log.describeTopic('p.dlq')).rejects.toMatchObject({ code: 'UNKNOWN_TOPIC' });
  });

  it('dead-letters at once, without a retry, an error the sink marked permanent', async () => {
    const sink = failingSink(1, () => new TributaryError('SINK_REJECTED', 'POST /v1/traces answered 400: bad span', { details: { status: 400 } }));
    const { result, records, metrics } = await deliverTo(sink);
    expect(result).toBe('dead_lettered');
    expect(sink.attempts).toHaveLength(1);
    const dead = await readAll(log!.log, 'p.dlq');
    expect(dead.map((r) => r.value)).toEqual(records.map((r) => r.value));
    expect(dead[0].headers.find((h) => h.key === DLQ_HEADERS.code)?.value.toString()).toBe('SINK_REJECTED');
    expect(dead[0].headers.find((h) => h.key === DLQ_HEADERS.status)?.value.toString()).toBe('400');
    expect(metrics).toMatch(/tributary_sink_failures_total\{pipeline="p",kind="permanent"\} 1\b/);
    expect(metrics).not.toMatch(/tributary_sink_retries_total\{pipeline="p"\}/);
  });

  it('retries a failure to group the records by signal that nobody classified, and delivers the batch; nothing is dead-lettered', async () => {
    log = await startLog(dataDir(), 1);
    await produceTraces(log.log, { service: 'cart', traces: 2, spansPerTrace: 1 });
    const [first, ...rest] = await readAll(log.log, 'otlp_spans');
    // A record whose headers cannot be read the first time (a plain Error, as a bug would throw).
    let reads = 0;
    const flaky = Object.defineProperty(RecordView.of({ ...first, key: first.key, value: first.value }), 'headers', {
      get: () => {
        if (reads++ === 0) throw new TypeError('header value is not a Buffer');
        return first.headers;
      },
    });
    const sink = failingSink(0, () => undefined);
    const result = await deliverBatch([flaky, ...rest], contextOf(log, sink));
    expect(result).toBe('exported');
    expect(sink.attempts).toHaveLength(1);
    const metrics = await log.telemetry.metricsText();
    expect(metrics).toMatch(/tributary_sink_failures_total\{pipeline="p",kind="retriable"\} 1\b/);
    expect(metrics).not.toMatch(/kind="permanent"/);
    await expect(log.log.describeTopic('p.dlq')).rejects.toMatchObject({ code: 'UNKNOWN_TOPIC' });
  });

  it('dead-letters at once, without a retry, a record whose signal cannot be told (no otlp-signal header outside the default topics)', async () => {
    log = await startLog(dataDir(), 1);
    await log.log.createTopic({ name: 'raw', partitions: 1 });
    await log.log.produce('raw', 0, [{ value: Buffer.from('not otlp') }]);
    const records = await readAll(log.log, 'raw');
    const sink = failingSink(0, () => undefined);
    const result = await deliverBatch(records, contextOf(log, sink));
    expect(result).toBe('dead_lettered');
    expect(sink.attempts).toHaveLength(0);
    const dead = await readAll(log.log, 'p.dlq');
    expect(dead.map((r) => r.value?.toString())).toEqual(['not otlp']);
    expect(dead[0].headers.find((h) => h.key === DLQ_HEADERS.code)?.value.toString()).toBe('INVALID_RECORD');
    const metrics = await log.telemetry.metricsText();
    expect(metrics).toMatch(/tributary_sink_failures_total\{pipeline="p",kind="permanent"\} 1\b/);
    expect(metrics).not.toMatch(/tributary_sink_retries_total\{pipeline="p"\}/);
  });

  it('logs a rejection that every batch meets once, not once per batch; each is still dead-lettered and counted', async () => {
    log = await startLog(dataDir(), 1);
    await produceTraces(log.log, { service: 'cart', traces: 50, spansPerTrace: 1 });
    const records = await readAll(log.log, 'otlp_spans');
    const lines: { message: string; repeatsHeldBack?: number }[] = [];
    const refusing = failingSink(Number.POSITIVE_INFINITY, () => new TributaryError('SINK_REJECTED', 'POST /v1/traces answered 400', { details: { status: 400 } }));
    const ctx = contextOf(log, refusing, undefined, createLogger('test', { level: 'warn', json: true, write: (line) => lines.push(JSON.parse(line)) }));
    const started = Date.now();
    // A trickle of one-record batches, as a destination refusing everything meets them.
    for (const record of records) expect(await deliverBatch([record], ctx)).toBe('dead_lettered');
    const rejected = lines.filter((l) => l.message === 'batch rejected: sent to the dead-letter topic');
    expect(rejected.length).toBeGreaterThanOrEqual(1);
    expect(rejected.length).toBeLessThanOrEqual(1 + Math.floor((Date.now() - started) / 10_000));
    expect(await readAll(log.log, 'p.dlq')).toHaveLength(50);
    expect(await log.telemetry.metricsText()).toMatch(/tributary_sink_records_total\{pipeline="p",outcome="dead_lettered"\} 50\b/);
  });
});
