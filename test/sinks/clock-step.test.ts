/**
 * Runs on: main thread (tests). The system clock set back or forward (an NTP step, a VM restored
 * from a snapshot, a hardware clock kept in local time) while the pipelines measure an interval:
 * a partial batch's wait (`batch.max_wait`), a file's age (`rotation.max_age`), how long a sink
 * worker ran before it died, how long a repeated error line is held back. Each is measured on the
 * monotonic clock, so it is over when its time is, not once the wall clock has caught up again.
 * The parts are real (an embedded log, sink worker threads, files); only the wall clock
 * (`Date.now`, on this thread) is stepped, since the machine's cannot be.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { fileSinkFactory } from '../../src/sinks/file/file-sink.js';
import { createPipelines } from '../../src/sinks/runtime/pipelines.js';
import { PipelineMember } from '../../src/sinks/runtime/pipeline-member.js';
import { createSinkMetrics } from '../../src/sinks/runtime/sink-metrics.js';
import type { Sink } from '../../src/sinks/sink.js';
import { LogThrottle } from '../../src/telemetry/log-throttle.js';
import { createLogger, silentLogger } from '../../src/telemetry/logger.js';
import { Telemetry } from '../../src/telemetry/telemetry.js';
import { startEmbedded, useDataDirs } from '../log/helpers.js';
import { makeSpans } from '../otlp/fixtures.js';
import { batchOf, sinkContext, startLog } from './helpers.js';

const HOUR = 3_600_000;

/**
 * Replaces this thread's wall clock with one `offset()` ahead of the real one; installed before
 * the parts are made, since they may keep `Date.now` itself as their clock.
 */
function steppedWallClock(): { step: (ms: number) => void } {
  const wallClock = Date.now.bind(Date);
  let offset = 0;
  vi.spyOn(Date, 'now').mockImplementation(() => wallClock() + offset);
  return { step: (ms) => (offset += ms) };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits on the monotonic clock (the wall clock is stepped here) for `check` to hold. */
async function within(ms: number, what: string, check: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = performance.now() + ms;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('a pipeline member when the system clock is set back', () => {
  const dataDir = useDataDirs();
  afterEach(() => vi.restoreAllMocks());

  it('exports a partial batch once batch.max_wait is over, though the clock went back an hour meanwhile', async () => {
    const backend = await startEmbedded(dataDir(), { brokers: 1 });
    let exported = 0;
    const sink: Sink = {
      type: 'collect',
      start: async () => {},
      export: async (batch) => {
        exported += batch.records;
        return {};
      },
      shutdown: async () => {},
    };
    const stopping = new AbortController();
    const member = new PipelineMember(
      (onPartitionsRevoked) => backend.createConsumer({ group: 'g', topics: ['in'], onPartitionsRevoked }),
      { max_records: 100, max_bytes: 1 << 20, max_wait: 1_500 },
      {
        pipeline: 'g',
        sink,
        retry: { initial_interval: 100, max_interval: 1_000, max_elapsed_time: 0 },
        deadLetter: undefined,
        metrics: createSinkMetrics(new Telemetry()),
        logger: silentLogger,
        rejections: new LogThrottle(),
        stopping: stopping.signal,
      },
    );
    try {
      await backend.createTopic({ name: 'in', partitions: 1 });
      member.start();
      await within(10_000, 'the member to be assigned the partition', async () => {
        const group = await backend.describeGroup('g').catch(() => undefined);
        return group?.state === 'Stable' && group.members[0]?.assignment.length === 1;
      });
      await backend.produce('in', 0, [{ value: Buffer.from('one'), headers: [{ key: 'otlp-signal', value: Buffer.from('traces') }] }]);
      // The member holds the record in a batch that waits 1.5 s for more; the clock goes back meanwhile.
      await new Promise((r) => setTimeout(r, 500));
      const wallClock = Date.now.bind(Date);
      vi.spyOn(Date, 'now').mockImplementation(() => wallClock() - HOUR);
      await within(10_000, 'the batch to be exported', () => exported > 0);
      expect(exported).toBe(1);
    } finally {
      vi.restoreAllMocks();
      stopping.abort();
      await member.stop().catch(() => {});
      await backend.shutdown();
    }
  }, 30_000);
});

describe('the other intervals of the pipelines when the system clock is stepped', () => {
  const dataDir = useDataDirs();
  afterEach(() => vi.restoreAllMocks());

  it('rolls a file sink\'s file once rotation.max_age is over, though the clock went back an hour meanwhile', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tributary-clock-step-'));
    const clock = steppedWallClock();
    const sink = fileSinkFactory.create({ type: 'file', path: join(dir, 'spans.jsonl'), rotation: { max_age: '300ms' } }, sinkContext());
    const batch = () => batchOf('traces', [ProtobufTraceSerializer.serializeRequest(makeSpans({ traces: 1, spansPerTrace: 1 }))!]);
    try {
      await sink.start();
      await sink.export(batch());
      clock.step(-HOUR);
      await sleep(500);
      await sink.export(batch());
      await sink.shutdown();
      // The first file was rolled (a name with the roll's time) and the second batch began a new one.
      expect(readdirSync(dir).sort()).toEqual([expect.stringMatching(/^spans-.+\.jsonl$/), 'spans.jsonl']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('logs a repeated error again once its hold-back interval is over, though the clock went back an hour meanwhile', async () => {
    const clock = steppedWallClock();
    const throttle = new LogThrottle(200);
    expect(throttle.allow('webhook 400')).toBe(0);
    expect(throttle.allow('webhook 400')).toBeUndefined();
    clock.step(-HOUR);
    await sleep(300);
    expect(throttle.allow('webhook 400')).toBe(1);
  });

  it('waits longer before each restart of a sink worker that keeps dying at once, though the clock went forward an hour each time', async () => {
    const clock = steppedWallClock();
    const log = await startLog(dataDir(), 1);
    const lines: { message: string; delayMs?: number }[] = [];
    const parsed = configSchema.parse({ pipelines: [{ group: 'phoenix', topics: ['otlp_spans'], sink: { type: 'otlphttp', endpoint: 'http://127.0.0.1:9/' } }] });
    const pipelines = createPipelines({
      pipelines: parsed.pipelines,
      workers: 1,
      backend: log.log,
      telemetry: log.telemetry,
      logger: createLogger('test', { level: 'error', json: true, write: (line) => lines.push(JSON.parse(line)) }),
    });
    const restarts = () => lines.filter((l) => l.message.startsWith('sink worker died'));
    try {
      await pipelines.start();
      for (let died = 1; died <= 3; died++) {
        clock.step(HOUR);
        await pipelines.killWorker(0);
        await within(10_000, `restart ${died} to be logged`, () => restarts().length === died);
        // Let the restart run before the next kill: killWorker passes over a thread not started yet.
        await sleep(restarts()[died - 1]!.delayMs! + 100);
      }
      // Restarts after 0.5-1.5, 1-3 and 2-6 times the initial 100 ms: each run was over at once,
      // whatever the wall clock said. Taken as an hour-long (stable) run, each waited 50-150 ms.
      expect(restarts()[2]!.delayMs).toBeGreaterThanOrEqual(200);
    } finally {
      vi.restoreAllMocks();
      await pipelines.shutdown();
      await log.stop();
    }
  }, 30_000);
});
