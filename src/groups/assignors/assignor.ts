// Runs on: main thread.
/** What every assignor shares: its inputs, its output, and a stable order of partitions. */
import type { TopicPartition } from '../../log/types.js';
import type { AssignorName } from '../types.js';

export interface AssignorMember {
  memberId: string;
  topics: readonly string[];
  /** The partitions the member held in the previous generation (used by sticky). */
  owned: readonly TopicPartition[];
}

/** Member id → its partitions, sorted by topic then partition; every member has an entry. */
export type Assignment = Map<string, TopicPartition[]>;

export interface Assignor {
  readonly name: AssignorName;
  /** `partitionCounts` holds every subscribed topic that exists; the others get no partitions. */
  assign(members: readonly AssignorMember[], partitionCounts: ReadonlyMap<string, number>): Assignment;
}

export function compareTopicPartitions(a: TopicPartition, b: TopicPartition): number {
  return a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition;
}

export function topicPartitionKey(tp: TopicPartition): string {
  return `${tp.topic}\u0000${tp.partition}`;
}

/** Members sorted by id, so every assignor is deterministic whatever order members joined in. */
export function sortedMembers(members: readonly AssignorMember[]): AssignorMember[] {
  return [...members].sort((a, b) => (a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0));
}

/** Every partition of every topic some member subscribes to, in topic then partition order. */
export function subscribedPartitions(members: readonly AssignorMember[], partitionCounts: ReadonlyMap<string, number>): TopicPartition[] {
  const topics = [...new Set(members.flatMap((m) => m.topics))].filter((t) => partitionCounts.has(t)).sort();
  return topics.flatMap((topic) => Array.from({ length: partitionCounts.get(topic)! }, (_, partition) => ({ topic, partition })));
}

export function finishAssignment(members: readonly AssignorMember[], assigned: Map<string, TopicPartition[]>): Assignment {
  const out: Assignment = new Map();
  for (const m of members) out.set(m.memberId, (assigned.get(m.memberId) ?? []).sort(compareTopicPartitions));
  return out;
}
