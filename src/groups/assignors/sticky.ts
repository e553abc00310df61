// Runs on: main thread.
import type { TopicPartition } from '../../log/types.js';
import { type Assignor, type AssignorMember, finishAssignment, sortedMembers, subscribedPartitions, topicPartitionKey } from './assignor.js';

/**
 * A sticky assignor: balanced like round-robin (member counts differ by at most one where
 * subscriptions allow), while moving as few partitions as possible from their previous owner.
 *  1. every member keeps the partitions it owned that still exist and it still subscribes to;
 *  2. partitions nobody keeps go, one at a time, to the eligible member holding the fewest;
 *  3. while some member holds two more than an eligible other, one partition moves across.
 * Step 3 strictly lowers the sum of squared counts, so it ends.
 */
export const stickyAssignor: Assignor = {
  name: 'sticky',
  assign(members, partitionCounts) {
    const sorted = sortedMembers(members);
    const all = subscribedPartitions(members, partitionCounts);
    const exists = new Set(all.map(topicPartitionKey));
    const taken = new Set<string>();
    const held = new Map<string, TopicPartition[]>(sorted.map((m) => [m.memberId, []]));

    for (const m of sorted) {
      for (const tp of m.owned) {
        const key = topicPartitionKey(tp);
        if (!exists.has(key) || !m.topics.includes(tp.topic) || taken.has(key)) continue;
        taken.add(key);
        held.get(m.memberId)!.push({ topic: tp.topic, partition: tp.partition });
      }
    }

    const fewest = (topic: string, than = Number.POSITIVE_INFINITY): AssignorMember | undefined => {
      let best: AssignorMember | undefined;
      for (const m of sorted) {
        const n = held.get(m.memberId)!.length;
        if (m.topics.includes(topic) && n < than && (!best || n < held.get(best.memberId)!.length)) best = m;
      }
      return best;
    };

    for (const tp of all) {
      if (taken.has(topicPartitionKey(tp))) continue;
      const m = fewest(tp.topic);
      if (m) held.get(m.memberId)!.push(tp);
    }

    for (let moved = true; moved; ) {
      moved = false;
      const givers = [...sorted].sort((a, b) => held.get(b.memberId)!.length - held.get(a.memberId)!.length);
      for (const giver of givers) {
        const list = held.get(giver.memberId)!;
        for (let i = list.length - 1; i >= 0 && !moved; i--) {
          const receiver = fewest(list[i].topic, list.length - 1);
          if (!receiver) continue;
          held.get(receiver.memberId)!.push(...list.splice(i, 1));
          moved = true;
        }
        if (moved) break;
      }
    }
    return finishAssignment(members, held);
  },
};
