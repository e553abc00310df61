import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import type { EmbeddedBackend } from '../../src/log/embedded/embedded-backend.js';
import { BrokerHandle } from '../../src/log/embedded/broker-handle.js';
import { silentLogger } from '../../src/telemetry/logger.js';
import { Telemetry } from '../../src/telemetry/telemetry.js';
import { startEmbedded } from '../log/helpers.js';
import { fill } from './helpers.js';

const BROKERS = 3;
const GROUPS = 120;
const TOPICS = ['lag-a', 'lag-b', 'lag-c', 'lag-d'];

/**
 * The lag of every group is read at each scrape of /metrics (and for each group the console and
 * `tributary groups` describe): its high watermarks come from the memory the leaders keep them in,
 * not from a request to each leader per group and topic, which with hundreds of groups sent
 * thousands of requests to the broker threads at every scrape, beside the writes they serve.
 */
describe('lag of many groups', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-lag-scale-'));
  const telemetry = new Telemetry();
  let log: EmbeddedBackend;

  beforeAll(async () => {
    log = await startEmbedded(dir, { brokers: BROKERS }, { telemetry, logger: silentLogger, groups: configSchema.parse({ groups: { metrics_max_groups: GROUPS } }).groups });
    for (const name of TOPICS) {
      await log.createTopic({ name, partitions: 3 });
      await fill(log, name, 5);
    }
    for (let g = 0; g < GROUPS; g++) await log.resetOffsets(`lagger-${g}`, { type: 'offset', offset: g % 5 }, TOPICS);
  }, 60_000);

  afterAll(async () => {
    vi.restoreAllMocks();
    await log?.shutdown();
    rmSync(dir, { recursive: true, force: true });
  });

  it('scrapes every group’s lag with one storage request per broker, and describes a group without asking the brokers', async () => {
    const requests = vi.spyOn(BrokerHandle.prototype, 'request');
    const text = await telemetry.metricsText();
    const lagLines = text.split('\n').filter((line) => line.startsWith('tributary_group_lag_records{'));
    expect(lagLines).toHaveLength(GROUPS * TOPICS.length * 3);
    expect(text).toContain(`tributary_group_lag_records{group="lagger-7",topic="lag-c",partition="1"} ${5 - (7 % 5)}`);
    // The partition size gauges ask each broker once; the lag of 120 groups on 4 topics asks nothing more.
    expect(requests.mock.calls.length).toBeLessThanOrEqual(BROKERS);

    requests.mockClear();
    const d = await log.describeGroup('lagger-3');
    expect(d.totalLag).toBe(TOPICS.length * 3 * 2);
    expect(requests).not.toHaveBeenCalled();
  });
});
