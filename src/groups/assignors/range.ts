// Runs on: main thread.
import type { TopicPartition } from '../../log/types.js';
import { type Assignor, finishAssignment, sortedMembers } from './assignor.js';

/**
 * Kafka's RangeAssignor: topic by topic, the subscribers (in member id order) each take a
 * contiguous range of partitions; the first `partitions % members` take one more.
 */
export const rangeAssignor: Assignor = {
  name: 'range',
  assign(members, partitionCounts) {
    const assigned = new Map<string, TopicPartition[]>();
    const sorted = sortedMembers(members);
    for (const [topic, count] of partitionCounts) {
      const subscribers = sorted.filter((m) => m.topics.includes(topic));
      if (subscribers.length === 0) continue;
      const each = Math.floor(count / subscribers.length);
      const extra = count % subscribers.length;
      let next = 0;
      subscribers.forEach((m, i) => {
        const take = each + (i < extra ? 1 : 0);
        const list = assigned.get(m.memberId) ?? [];
        for (let p = next; p < next + take; p++) list.push({ topic, partition: p });
        assigned.set(m.memberId, list);
        next += take;
      });
    }
    return finishAssignment(members, assigned);
  },
};
