/**
 * Runs on: main thread.
 *
 * OffsetFetch (key 9): a group's committed offsets, -1 where it committed none. Null topics
 * (v2+) asks for every partition the group committed; v8 asks for several groups at once. Each
 * group and each partition is answered once however often the request names it: the answer
 * would otherwise multiply a small request by the group's committed partitions (one group of 64
 * partitions named 100,000 times in 1.2 MB was answered with 134 MB).
 */
import type { TopicPartition } from '../../log/types.js';
import { defineApi, type KafkaServices, specOf } from '../api.js';
import { KafkaError, kafkaErrorCode } from '../error-codes.js';
import { readOffsetFetchRequest } from '../messages/offset-fetch-request.js';
import { offsetFetchResponseSpec, writeOffsetFetchResponse } from '../messages/offset-fetch-response.js';

interface TopicOffsets {
  name: string;
  partitions: { partitionIndex: number; committedOffset: number; committedLeaderEpoch: number; metadata: string | null; errorCode: number }[];
}

function distinctPartitions(topics: { name: string; partitionIndexes: number[] }[]): TopicPartition[] {
  const seen = new Set<string>();
  const asked: TopicPartition[] = [];
  for (const t of topics) {
    for (const partition of t.partitionIndexes) {
      const key = `${t.name}\u0000${partition}`;
      if (seen.has(key)) continue;
      seen.add(key);
      asked.push({ topic: t.name, partition });
    }
  }
  return asked;
}

async function offsetsOf(
  groups: KafkaServices['groups'],
  group: string,
  topics: { name: string; partitionIndexes: number[] }[] | null,
): Promise<{ topics: TopicOffsets[]; errorCode: number }> {
  const asked = topics ? distinctPartitions(topics) : undefined;
  let committed: Awaited<ReturnType<typeof groups.fetchOffsets>>;
  try {
    committed = await groups.fetchOffsets(group, asked);
  } catch (err) {
    return { topics: [], errorCode: kafkaErrorCode(err, 'group') };
  }
  const found = new Map(committed.map((o) => [`${o.topic}\u0000${o.partition}`, o]));
  const wanted = asked ?? committed;
  const byTopic = new Map<string, TopicOffsets>();
  for (const { topic, partition } of wanted) {
    const o = found.get(`${topic}\u0000${partition}`);
    const entry = byTopic.get(topic) ?? { name: topic, partitions: [] };
    byTopic.set(topic, entry);
    entry.partitions.push({ partitionIndex: partition, committedOffset: o?.offset ?? -1, committedLeaderEpoch: -1, metadata: o?.metadata ?? '', errorCode: KafkaError.NONE });
  }
  return { topics: [...byTopic.values()], errorCode: KafkaError.NONE };
}

export const offsetFetch = defineApi({
  ...specOf(offsetFetchResponseSpec, { min: 1, max: 8 }),
  name: 'OffsetFetch',
  readRequest: readOffsetFetchRequest,
  writeResponse: writeOffsetFetchResponse,
  async handle(request, ctx, { groups }) {
    if (ctx.version >= 8) {
      // A group named again with other topics is answered for all of them, in one entry.
      const named = new Map<string, { name: string; partitionIndexes: number[] }[] | null>();
      for (const g of request.groups) {
        const before = named.get(g.groupId);
        if (before === undefined || g.topics === null) named.set(g.groupId, g.topics && [...g.topics]);
        else if (before !== null) for (const t of g.topics) before.push(t);
      }
      const answers = await Promise.all([...named].map(async ([groupId, topics]) => ({ groupId, ...(await offsetsOf(groups, groupId, topics)) })));
      return { groups: answers };
    }
    return offsetsOf(groups, request.groupId, request.topics);
  },
});
