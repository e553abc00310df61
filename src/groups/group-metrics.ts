// Runs on: main thread.
import type { Counter } from 'prom-client';
import type { Telemetry } from '../telemetry/telemetry.js';
import type { Group } from './group.js';
import type { PartitionLag } from './types.js';

export interface GroupMetricSources {
  groups(): Iterable<Group>;
  lag(): Promise<(PartitionLag & { group: string })[]>;
}

/** Registers the group metrics, read at scrape time; returns the rebalance counter to count with. */
export function registerGroupMetrics(telemetry: Telemetry, sources: GroupMetricSources): Counter<'group'> {
  telemetry.gauge('tributary_group_members', 'Members of each consumer group', ['group'], function () {
    this.reset();
    for (const g of sources.groups()) this.set({ group: g.name }, g.size);
  });
  telemetry.gauge('tributary_group_lag_records', 'High watermark minus committed offset per group and partition', ['group', 'topic', 'partition'], async function () {
    this.reset();
    for (const p of await sources.lag()) {
      if (p.lag !== null) this.set({ group: p.group, topic: p.topic, partition: String(p.partition) }, p.lag);
    }
  });
  return telemetry.counter('tributary_group_rebalances_total', 'Completed rebalances of each consumer group', ['group']);
}
