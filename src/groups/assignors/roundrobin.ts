// Runs on: main thread.
import type { TopicPartition } from '../../log/types.js';
import { type Assignor, finishAssignment, sortedMembers, subscribedPartitions } from './assignor.js';

/**
 * Kafka's RoundRobinAssignor: all partitions in topic then partition order are dealt to the
 * members in id order, one at a time, skipping members that do not subscribe to the topic.
 */
export const roundRobinAssignor: Assignor = {
  name: 'roundrobin',
  assign(members, partitionCounts) {
    const assigned = new Map<string, TopicPartition[]>();
    const sorted = sortedMembers(members);
    let cursor = 0;
    for (const tp of subscribedPartitions(members, partitionCounts)) {
      for (let tried = 0; tried < sorted.length; tried++) {
        const m = sorted[cursor % sorted.length];
        cursor++;
        if (!m.topics.includes(tp.topic)) continue;
        const list = assigned.get(m.memberId) ?? [];
        list.push(tp);
        assigned.set(m.memberId, list);
        break;
      }
    }
    return finishAssignment(members, assigned);
  },
};
