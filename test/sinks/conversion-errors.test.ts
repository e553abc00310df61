/**
 * Runs on: main thread (tests). What becomes of a batch whose conversion fails, in the sinks that
 * convert records themselves (prometheusremotewrite to remote write, file and webhook to OTLP/JSON):
 * a record whose bytes do not decode is dead-lettered at once, as retrying cannot fix it; any other
 * failure (an allocation that failed, a bug) is nobody's verdict on the records, so it is retried.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ConsumedRecord } from '../../src/log/types.js';
import { sinkFactories } from '../../src/sinks/registry.js';
import { DeadLetterTopic, DLQ_HEADERS } from '../../src/sinks/runtime/dead-letter.js';
import { deliverBatch } from '../../src/sinks/runtime/deliver-batch.js';
import { createSinkMetrics } from '../../src/sinks/runtime/sink-metrics.js';
import type { Sink } from '../../src/sinks/sink.js';
import { LogThrottle } from '../../src/telemetry/log-throttle.js';
import { silentLogger } from '../../src/telemetry/logger.js';
import type { GroupFixture } from '../groups/helpers.js';
import { useDataDirs } from '../log/helpers.js';
import { produceMetrics, produceTraces, readAll, sinkContext, startLog, startReceiver, type TestReceiver } from './helpers.js';

const PROTOBUF = [{ key: 'content-type', value: 'application/x-protobuf' }];
/** A resource entry (field 1) that says it holds 0xffff bytes and holds three. */
const MALFORMED = Buffer.from([0x0a, 0xff, 0xff, 0x03, 0x01, 0x02, 0x03]);

/**
 * A test double of a record whose bytes cannot be read the first `failures` times: reading them
 * throws the RangeError an allocation that failed throws. No real record makes a sink's conversion
 * fail so, short of running the machine out of memory.
 */
function unreadable(record: ConsumedRecord, failures: number): ConsumedRecord {
  // A plain Uint8Array (not a Buffer): the converters reach its memory through `.buffer`.
  const bytes = new Uint8Array(record.value ?? []);
  const memory = bytes.buffer;
  let left = failures;
  Object.defineProperty(bytes, 'buffer', {
    get() {
      if (left-- > 0) throw new RangeError('Array buffer allocation failed');
      return memory;
    },
  });
  const value = bytes as Buffer;
  return { ...record, key: record.key, value, valueBytes: value, valueStart: 0, valueSize: bytes.length, withValue: () => record };
}

interface Case {
  type: 'prometheusremotewrite' | 'file' | 'webhook';
  topic: 'otlp_metrics' | 'otlp_spans';
}

const CASES: Case[] = [
  { type: 'prometheusremotewrite', topic: 'otlp_metrics' },
  { type: 'file', topic: 'otlp_spans' },
  { type: 'webhook', topic: 'otlp_spans' },
];

describe('a sink whose conversion of a batch fails', () => {
  const dataDir = useDataDirs();
  let log: GroupFixture | undefined;
  let receiver: TestReceiver | undefined;
  let sink: Sink | undefined;
  let dir: string | undefined;
  afterEach(async () => {
    await sink?.shutdown();
    await receiver?.close();
    await log?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
    log = receiver = sink = dir = undefined;
  });

  /** The sink of `type`, started, with what it delivered so far (receiver requests or file bytes). */
  async function startSink({ type, topic }: Case): Promise<{ sink: Sink; delivered: () => number }> {
    receiver = await startReceiver();
    dir = mkdtempSync(join(tmpdir(), 'tributary-conversion-errors-'));
    const path = join(dir, 'out.jsonl');
    const raw = type === 'file' ? { type, path } : { type, endpoint: `${receiver.url}/hook` };
    const made = sinkFactories.get(type)!.create(raw, sinkContext({ pipeline: 'p', topics: [topic] }));
    await made.start();
    sink = made;
    const r = receiver;
    return { sink: made, delivered: () => (type === 'file' ? readFileSync(path, 'utf8').split('\n').filter(Boolean).length : r.requests.length) };
  }

  async function deliver(records: ConsumedRecord[], to: Sink) {
    const result = await deliverBatch(records, {
      pipeline: 'p',
      sink: to,
      retry: { initial_interval: 20, max_interval: 50, max_elapsed_time: 60_000 },
      deadLetter: new DeadLetterTopic(log!.log, 'p.dlq', 'p'),
      metrics: createSinkMetrics(log!.telemetry),
      logger: silentLogger,
      rejections: new LogThrottle(),
      stopping: new AbortController().signal,
    });
    return { result, metrics: await log!.telemetry.metricsText() };
  }

  async function produceValid(topic: Case['topic']): Promise<ConsumedRecord[]> {
    if (topic === 'otlp_metrics') await produceMetrics(log!.log, { service: 'cart', series: 2 });
    else await produceTraces(log!.log, { service: 'cart', traces: 2, spansPerTrace: 2 });
    return readAll(log!.log, topic);
  }

  it.each(CASES)('$type: dead-letters at once a record whose bytes do not decode', async ({ type, topic }) => {
    log = await startLog(dataDir(), 1);
    await log.log.produce(topic, 0, [{ value: MALFORMED, headers: PROTOBUF }]);
    const records = await readAll(log.log, topic);
    const { sink: s, delivered } = await startSink({ type, topic });
    const { result, metrics } = await deliver(records, s);
    expect(result).toBe('dead_lettered');
    const dead = await readAll(log.log, 'p.dlq');
    expect(dead.map((r) => r.value)).toEqual([MALFORMED]);
    expect(dead[0].headers.find((h) => h.key === DLQ_HEADERS.code)?.value.toString()).toBe('SINK_REJECTED');
    expect(dead[0].headers.find((h) => h.key === DLQ_HEADERS.message)?.value.toString()).toMatch(/does not decode: malformed protobuf at byte/);
    expect(metrics).toMatch(/tributary_sink_failures_total\{pipeline="p",kind="permanent"\} 1\b/);
    expect(metrics).not.toMatch(/tributary_sink_retries_total\{pipeline="p"\}/);
    expect(delivered()).toBe(0);
  });

  it.each(CASES)('$type: retries a failure of the conversion that is no decode error, and delivers the batch; nothing is dead-lettered', async ({ type, topic }) => {
    log = await startLog(dataDir(), 1);
    const [first, ...rest] = await produceValid(topic);
    const { sink: s, delivered } = await startSink({ type, topic });
    const { result, metrics } = await deliver([unreadable(first, 2), ...rest], s);
    expect(result).toBe('exported');
    expect(metrics).toMatch(/tributary_sink_failures_total\{pipeline="p",kind="retriable"\} 2\b/);
    expect(metrics).not.toMatch(/kind="permanent"/);
    expect(metrics).toMatch(/tributary_sink_retries_total\{pipeline="p"\} 2\b/);
    expect(delivered()).toBe(1);
    await expect(log.log.describeTopic('p.dlq')).rejects.toMatchObject({ code: 'UNKNOWN_TOPIC' });
  });
});
