import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientAvailable, type KafkaGateway, metric, PYTHON, run, startKafkaGateway } from './helpers.js';

/** The distinct `group` label values of one metric on /metrics. */
function groupsOf(text: string, name: string): Set<string> {
  return new Set([...text.matchAll(new RegExp(`^${name}\\{group="([^"]*)"`, 'gm'))].map((m) => m[1]));
}

describe('group metrics under groups created by any Kafka client', () => {
  const available = clientAvailable(PYTHON, ['-c', 'import kafka'], 'python3-kafka');
  let g: KafkaGateway;
  let dir: string;
  beforeAll(async () => {
    if (!available) return;
    dir = mkdtempSync(join(tmpdir(), 'tributary-group-metrics-'));
    // The pipeline's name sorts after every group the client makes: it is reported for having members.
    g = await startKafkaGateway({
      groups: { metrics_max_groups: 5 },
      pipelines: [{ group: 'zz-pipeline', topics: ['otlp_spans'], sink: { type: 'file', path: join(dir, 'spans.jsonl') } }],
    });
  }, 60_000);
  afterAll(async () => {
    await g?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it.runIf(available)('gives series to groups.metrics_max_groups groups at most, running ones first, and counts them all', async () => {
    const made = await run(PYTHON, [join(import.meta.dirname, 'clients', 'many_groups.py'), g.bootstrap, 'events_in', 'one-off-', '30'], { timeoutMs: 120_000 });
    expect(made.code, made.stderr).toBe(0);
    const listed = (await (await fetch(`${g.adminUrl}/api/v1/groups`)).json()) as { groups: { group: string }[] };
    expect(listed.groups).toHaveLength(31);

    const text = await (await fetch(`${g.adminUrl}/metrics`)).text();
    expect(await metric(g, 'tributary_group_groups')).toBe(31);
    const members = groupsOf(text, 'tributary_group_members');
    const lag = groupsOf(text, 'tributary_group_lag_records');
    const rebalances = groupsOf(text, 'tributary_group_rebalances_total');
    expect(members.size).toBe(5);
    expect(new Set([...members, ...lag, ...rebalances]).size).toBe(5);
    expect(text).toContain('tributary_group_members{group="zz-pipeline"} 1');
    expect(text).toMatch(/^tributary_group_rebalances_total\{group="zz-pipeline"\} 1$/m);
    expect([...members].sort()).toEqual(['one-off-0', 'one-off-1', 'one-off-10', 'one-off-11', 'zz-pipeline']);
    expect(text).toContain('tributary_group_lag_records{group="one-off-0",topic="events_in",partition="0"} 0');
  }, 180_000);
});
