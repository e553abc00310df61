/**
 * Runs on: main thread.
 *
 * OffsetFetch (key 9): a group's committed offsets, -1 where it committed none. Null topics
 * (v2+) asks for every partition the group committed; v8 asks for several groups at once.
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

async function offsetsOf(
  groups: KafkaServices['groups'],
  group: string,
  topics: { name: string; partitionIndexes: number[] }[] | null,
): Promise<{ topics: TopicOffsets[]; errorCode: number }> {
  const asked: TopicPartition[] | undefined = topics?.flatMap((t) => t.partitionIndexes.map((partition) => ({ topic: t.name, partition })));
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
      const answers = await Promise.all(request.groups.map(async (g) => ({ groupId: g.groupId, ...(await offsetsOf(groups, g.groupId, g.topics)) })));
      return { groups: answers };
    }
    return offsetsOf(groups, request.groupId, request.topics);
  },
});
