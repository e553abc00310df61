/**
 * Runs on: main thread (tests). The system clock set back (an NTP step, a VM restored from a
 * snapshot, a hardware clock kept in local time) while a pipeline member holds a partial batch:
 * the batch's wait (`batch.max_wait`) is an interval, measured on the monotonic clock, so the
 * batch is exported when its wait is over, not once the wall clock has caught up again. The
 * member reads a real embedded log; only the wall clock (`Date.now`) is stepped, since the
 * machine's cannot be.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { PipelineMember } from '../../src/sinks/runtime/pipeline-member.js';
import { createSinkMetrics } from '../../src/sinks/runtime/sink-metrics.js';
import type { Sink } from '../../src/sinks/sink.js';
import { LogThrottle } from '../../src/telemetry/log-throttle.js';
import { silentLogger } from '../../src/telemetry/logger.js';
import { Telemetry } from '../../src/telemetry/telemetry.js';
import { startEmbedded, useDataDirs } from '../log/helpers.js';

const HOUR = 3_600_000;

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
