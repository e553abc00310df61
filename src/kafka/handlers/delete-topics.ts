/**
 * Runs on: main thread.
 *
 * DeleteTopics (key 20): deletes topics in the embedded log, as the admin API does: the gateway's
 * own topics (the receiver's, and those a pipeline reads or dead-letters to) are refused with
 * POLICY_VIOLATION and the reason in the error message (v5+); an unknown name is
 * UNKNOWN_TOPIC_OR_PARTITION, an unknown id (v6) UNKNOWN_TOPIC_ID. A v6 entry naming a topic by
 * both its name and an id, or by neither, is INVALID_REQUEST and deletes nothing, as Kafka answers
 * it: the id may be another topic's, or an earlier one's of that name. Each topic gets its own
 * answer; the deletion is done when the answer is sent, so `timeoutMs` is never reached.
 */
import { defineApi, specOf } from '../api.js';
import { KafkaError, kafkaErrorCode } from '../error-codes.js';
import { readDeleteTopicsRequest } from '../messages/delete-topics-request.js';
import { deleteTopicsResponseSpec, writeDeleteTopicsResponse } from '../messages/delete-topics-response.js';
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
    const responses = [];
    // One at a time, in request order, so that a name given twice is deleted once (then unknown).
    for (const t of asked) {
      let name = t.name;
      const byId = !t.topicId.equals(ZERO_UUID);
      if ((name !== null) === byId) {
        const message = byId ? 'an entry gives both a topic name and a topic id: give one of them' : 'an entry gives neither a topic name nor a topic id';
        responses.push({ name, topicId: t.topicId, errorCode: KafkaError.INVALID_REQUEST, errorMessage: message });
        continue;
      }
      if (name === null) {
        const text = topicIdText(t.topicId);
        const resolved = await resolveTopic(text);
        if (resolved === text) {
          responses.push({ name: null, topicId: t.topicId, errorCode: KafkaError.UNKNOWN_TOPIC_ID, errorMessage: `no topic has the id ${text}` });
          continue;
        }
        name = resolved;
      }
      try {
        const id = log.partitionCount(name) === undefined ? ZERO_UUID : topicId(clusterId, log.describeTopicLayout(name));
        await deleteTopic(name);
        logger.info('topic deleted over the Kafka protocol', { topic: name, client: ctx.clientId });
        responses.push({ name, topicId: id, errorCode: KafkaError.NONE, errorMessage: null });
      } catch (err) {
        responses.push({ name, topicId: t.topicId, errorCode: kafkaErrorCode(err), errorMessage: (err as Error).message });
      }
    }
    return { throttleTimeMs: 0, responses };
  },
});
