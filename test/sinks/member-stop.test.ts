/**
 * Runs on: main thread (tests). A pipeline member stops on time while its polls fail: the log it
 * reads (a real embedded log) is shut down under it, so every poll fails and is retried with the
 * pipeline's backoff, and its stop (shutdown, pause, delete) must not wait that backoff out.
 */
import { describe, expect, it } from 'vitest';
import { PipelineMember } from '../../src/sinks/runtime/pipeline-member.js';
import { createSinkMetrics } from '../../src/sinks/runtime/sink-metrics.js';
import type { Sink } from '../../src/sinks/sink.js';
import type { Logger } from '../../src/telemetry/logger.js';
import { silentLogger } from '../../src/telemetry/logger.js';
import { Telemetry } from '../../src/telemetry/telemetry.js';
import { startEmbedded, useDataDirs } from '../log/helpers.js';
import { eventually } from './helpers.js';
import { LogThrottle } from '../../src/telemetry/log-throttle.js';

const discard: Sink = { type: 'discard', start: async () => {}, export: async () => ({}), shutdown: async () => {} };

describe('a pipeline member whose polls fail', () => {
  const dataDir = useDataDirs();

  it('stops at once when told to, not after the poll retry backoff (30 s here)', async () => {
    const backend = await startEmbedded(dataDir(), { brokers: 1 });
    await backend.createTopic({ name: 'in', partitions: 1 });
    const warnings: string[] = [];
    const logger: Logger = { ...silentLogger, warn: (message: string) => void warnings.push(message), child: () => logger };
    const stopping = new AbortController();
    const member = new PipelineMember(
      (onPartitionsRevoked) => backend.createConsumer({ group: 'g', topics: ['in'], onPartitionsRevoked }),
      { max_records: 100, max_bytes: 1 << 20, max_wait: 5 },
      {
        pipeline: 'g',
        sink: discard,
        retry: { initial_interval: 30_000, max_interval: 30_000, max_elapsed_time: 0 },
        deadLetter: undefined,
        metrics: createSinkMetrics(new Telemetry()),
        logger,
        rejections: new LogThrottle(),
        stopping: stopping.signal,
      },
    );
    member.start();
    await backend.shutdown();
    await eventually('a poll to fail and wait to be retried', () => warnings.includes('poll failed, trying again'));

    const started = Date.now();
    stopping.abort();
    await member.stop().catch(() => {});
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
