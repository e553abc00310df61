// Runs on: main thread.
import type { Telemetry } from '../telemetry/telemetry.js';
import type { GroupListing, PartitionLag } from './types.js';

/** A group and how many members it has. */
export type GroupMemberCount = Pick<GroupListing, 'group' | 'members'>;

export interface GroupMetricSources {
  /** Every group the coordinator knows: those with members and those with committed offsets only. */
  groups(): GroupMemberCount[];
  /** One group's lag per partition. */
  lag(group: string): PartitionLag[];
  /** Rebalances the group completed since this process started. */
  rebalances(group: string): number;
  /** At most this many groups get series of their own (groups.metrics_max_groups). */
  maxGroups: number;
}

/**
 * The groups that get series: those with members first (the pipelines running, the consumers
 * reading), then the rest, each by name. Any Kafka client can create groups (a console consumer
 * makes one per run), so series per group without a bound would grow the scrape with every one.
 */
function reported(sources: GroupMetricSources): GroupMemberCount[] {
  const all = sources.groups();
  all.sort((a, b) => Number(b.members > 0) - Number(a.members > 0) || (a.group < b.group ? -1 : a.group > b.group ? 1 : 0));
  return all.slice(0, sources.maxGroups);
}

/** Registers the group metrics, all read at scrape time from the coordinator. */
export function registerGroupMetrics(telemetry: Telemetry, sources: GroupMetricSources): void {
  telemetry.gauge('tributary_group_groups', 'Consumer groups the coordinator knows; past groups.metrics_max_groups the rest have no series of their own', [], function () {
    this.set(sources.groups().length);
  });
  telemetry.gauge('tributary_group_members', 'Members of each consumer group', ['group'], function () {
    this.reset();
    for (const g of reported(sources)) this.set({ group: g.group }, g.members);
  });
  telemetry.gauge('tributary_group_lag_records', 'High watermark minus committed offset per group and partition', ['group', 'topic', 'partition'], function () {
    this.reset();
    for (const g of reported(sources)) {
      for (const p of sources.lag(g.group)) {
        if (p.lag !== null) this.set({ group: g.group, topic: p.topic, partition: String(p.partition) }, p.lag);
      }
    }
  });
  telemetry.counter('tributary_group_rebalances_total', 'Completed rebalances of each consumer group', ['group'], function () {
    this.reset();
    for (const g of reported(sources)) this.inc({ group: g.group }, sources.rebalances(g.group));
  });
}
