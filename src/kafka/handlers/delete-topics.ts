/**
 * Runs on: main thread.
 *
 * DeleteTopics (key 20): deletes topics in the embedded log, as the admin API does: the gateway's
 * own topics (the receiver's, and those a pipeline reads or dead-letters to) are refused with
 * POLICY_VIOLATION and the reason in the error message (v5+); an unknown name is
 * UNKNOWN_TOPIC_OR_PARTITION, an unknown id (v6) UNKNOWN_TOPIC_ID. A v6 entry naming a topic by
 * both its name and an id, or by neither, is INVALID_REQUEST and deletes nothing, as Kafka answers
 * it: the id may be another topic's, or an earlier one's of that name. A topic named twice (by name,
 * by id, or by both) is answered once, INVALID_REQUEST, and not deleted, as Kafka does. Each topic
 * gets its own answer; the deletion is done when the answer is sent, so `timeoutMs` is never reached.
 */
import { defineApi, specOf } from '../api.js';
import { KafkaError, kafkaErrorCode } from '../error-codes.js';
import { readDeleteTopicsRequest } from '../messages/delete-topics-request.js';
import {
  type DeleteTopicsResponseDeletableTopicResult as DeletableTopicResult,
  deleteTopicsResponseSpec,
  writeDeleteTopicsResponse,
} from '../messages/delete-topics-response.js';
import { topicId, topicIdText } from '../topic-ids.js';

const ZERO_UUID = Buffer.alloc(16);

export const deleteTopics = defineApi({
  ...specOf(deleteTopicsResponseSpec, { min: 0, max: 6 }),
  name: 'DeleteTopics',
  readRequest: readDeleteTopicsRequest,
  writeResponse: writeDeleteTopicsResponse,
  async handle(request, ctx, { log, clusterId, deleteTopic, resolveTopic, logger }) {
    // Up to v5 by name; v6 by name, or by id when the name is null.
    const asked = ctx.version >= 6 ? request.topics : request.topicNames.map((name) => ({ name, topicId: ZERO_UUID }));
    const responses: DeletableTopicResult[] = [];
    // All at once, so that they share one reading of the topic ids (an unknown id stands for itself).
    const resolved = await Promise.all(asked.map((t) => (t.name === null && !t.topicId.equals(ZERO_UUID) ? resolveTopic(topicIdText(t.topicId)) : undefined)));
    // Each entry by the topic it names, in request order.
    const named = new Map<string, { name: string | null; topicId: Buffer; entries: number; answer: number }>();
    for (const [i, t] of asked.entries()) {
      const byId = !t.topicId.equals(ZERO_UUID);
      const key = t.name ?? resolved[i];
      if (key === undefined || (t.name !== null && byId)) {
        const message = byId ? 'an entry gives both a topic name and a topic id: give one of them' : 'an entry gives neither a topic name nor a topic id';
        responses.push({ name: t.name, topicId: t.topicId, errorCode: KafkaError.INVALID_REQUEST, errorMessage: message });
        continue;
      }
      const seen = named.get(key);
      if (seen) {
        seen.entries++;
        seen.name ??= t.name;
        if (byId) seen.topicId = t.topicId;
        continue;
      }
      named.set(key, { name: t.name, topicId: t.topicId, entries: 1, answer: responses.length });
      responses.push({ name: t.name, topicId: t.topicId, errorCode: KafkaError.NONE, errorMessage: null });
    }
    // One at a time, in request order. A topic given twice (by name, by id, or both) is refused, as Kafka does.
    for (const [key, t] of named) {
      const answer = responses[t.answer];
      answer.name = t.name;
      answer.topicId = t.topicId;
      if (t.entries > 1) {
        answer.errorCode = KafkaError.INVALID_REQUEST;
        answer.errorMessage = `the request names ${t.name === null ? `topic id ${key}` : `topic "${key}"`} twice (by its name or its id): it is not deleted`;
      } else if (t.name === null && key === topicIdText(t.topicId)) {
        answer.errorCode = KafkaError.UNKNOWN_TOPIC_ID;
        answer.errorMessage = `no topic has the id ${key}`;
      } else {
        Object.assign(answer, { name: key }, await deleteOne(key, t.topicId));
      }
    }
    return { throttleTimeMs: 0, responses };

    async function deleteOne(name: string, asked: Buffer): Promise<Omit<DeletableTopicResult, 'name'>> {
      try {
        const id = log.partitionCount(name) === undefined ? ZERO_UUID : topicId(clusterId, log.describeTopicLayout(name));
        await deleteTopic(name);
        logger.info('topic deleted over the Kafka protocol', { topic: name, client: ctx.clientId });
        return { topicId: id, errorCode: KafkaError.NONE, errorMessage: null };
      } catch (err) {
        return { topicId: asked, errorCode: kafkaErrorCode(err), errorMessage: (err as Error).message };
      }
    }
  },
});
