/**
 * Runs on: main thread.
 *
 * CreateTopics (key 19): creates topics in the embedded log, as the admin API does, with the
 * settings of topic-configs.ts. The one broker holds every partition: -1 partitions or replication
 * factor means 1, explicit replica assignments (each partition on that broker) set the partition
 * count. What a one-broker Kafka refuses is refused with its code, before anything is created: a
 * replication factor other than 1 (INVALID_REPLICATION_FACTOR), a partition count out of range
 * (INVALID_PARTITIONS), an assignment naming another broker or leaving a partition out
 * (INVALID_REPLICA_ASSIGNMENT), a name given twice in one request (INVALID_REQUEST, answered once,
 * neither entry created).
 * Each topic created (or validated) is answered with its configs, as DescribeConfigs shows them,
 * as Kafka does from v5.
 */
import { TributaryError } from '../../errors.js';
import { MAX_PARTITIONS_PER_TOPIC } from '../../log/storage-limits.js';
import type { TopicInfo } from '../../log/types.js';
import { defineApi, specOf } from '../api.js';
import { KafkaError, kafkaErrorCode } from '../error-codes.js';
import { type CreateTopicsRequestCreatableTopic, readCreateTopicsRequest } from '../messages/create-topics-request.js';
import { createTopicsResponseSpec, writeCreateTopicsResponse } from '../messages/create-topics-response.js';
import { describedConfigs, settingsFromConfigs } from '../topic-configs.js';
import { topicId } from '../topic-ids.js';

/** Kafka's "no topic id": a validateOnly request creates nothing to name. */
const ZERO_UUID = Buffer.alloc(16);

/** Kafka's "use the broker's default" for a partition count or replication factor; here 1. */
const DEFAULT = -1;

/** Why Kafka would refuse a topic's layout: the code and message it is answered with. */
interface Refusal {
  errorCode: number;
  message: string;
}

const refusal = (errorCode: number, message: string): Refusal => ({ errorCode, message });

/** The topic's partition count on the one broker (`nodeId`), or why Kafka would refuse its layout. */
function partitionCount(t: CreateTopicsRequestCreatableTopic, nodeId: number): number | Refusal {
  let count: number;
  if (t.assignments.length > 0) {
    if (t.numPartitions !== DEFAULT || t.replicationFactor !== DEFAULT) {
      return refusal(KafkaError.INVALID_REQUEST, 'numPartitions and replicationFactor must be -1 when replica assignments are given');
    }
    const indexes = new Set(t.assignments.map((a) => a.partitionIndex));
    count = t.assignments.length;
    for (let p = 0; p < count; p++) {
      if (!indexes.has(p)) return refusal(KafkaError.INVALID_REPLICA_ASSIGNMENT, `the replica assignments must name partitions 0 to ${count - 1}, each once`);
    }
    for (const { partitionIndex, brokerIds } of t.assignments) {
      const elsewhere = brokerIds.find((b) => b !== nodeId);
      if (elsewhere !== undefined) {
        return refusal(KafkaError.INVALID_REPLICA_ASSIGNMENT, `partition ${partitionIndex} is assigned to broker ${elsewhere}; the Kafka listener is one broker, ${nodeId}`);
      }
      if (brokerIds.length !== 1) return refusal(KafkaError.INVALID_REPLICA_ASSIGNMENT, `partition ${partitionIndex} needs one replica, on broker ${nodeId}`);
    }
  } else {
    const rf = t.replicationFactor;
    if (rf !== DEFAULT && rf < 1) return refusal(KafkaError.INVALID_REPLICATION_FACTOR, `replication factor must be at least 1 (or -1 for the default, 1), not ${rf}`);
    if (rf > 1) return refusal(KafkaError.INVALID_REPLICATION_FACTOR, `replication factor ${rf} is larger than the 1 broker the Kafka listener offers; use 1`);
    count = t.numPartitions === DEFAULT ? 1 : t.numPartitions;
    if (count < 1) return refusal(KafkaError.INVALID_PARTITIONS, `a topic needs at least one partition (or -1 for the default, 1), not ${t.numPartitions}`);
  }
  if (count > MAX_PARTITIONS_PER_TOPIC) return refusal(KafkaError.INVALID_PARTITIONS, `a topic has at most ${MAX_PARTITIONS_PER_TOPIC} partitions, not ${count}`);
  return count;
}

export const createTopics = defineApi({
  ...specOf(createTopicsResponseSpec, { min: 0, max: 7 }),
  name: 'CreateTopics',
  readRequest: readCreateTopicsRequest,
  writeResponse: writeCreateTopicsResponse,
  async handle(request, _ctx, { log, nodeId, clusterId, logger }) {
    const topics = [];
    const named = new Map<string, number>();
    for (const t of request.topics) named.set(t.name, (named.get(t.name) ?? 0) + 1);
    const answered = new Set<string>();
    // One at a time, in request order.
    for (const t of request.topics) {
      if (answered.has(t.name)) continue;
      answered.add(t.name);
      const refused = (errorCode: number, errorMessage: string) => ({ name: t.name, errorCode, errorMessage, numPartitions: -1, replicationFactor: -1, configs: null });
      // As Kafka: a name given twice is answered once, refused, and neither entry is created.
      if (named.get(t.name)! > 1) {
        topics.push(refused(KafkaError.INVALID_REQUEST, `the request has multiple entries for topic ${t.name}`));
        continue;
      }
      const partitions = partitionCount(t, nodeId);
      if (typeof partitions !== 'number') {
        topics.push(refused(partitions.errorCode, partitions.message));
        continue;
      }
      try {
        const settings = settingsFromConfigs(t.configs);
        let created: TopicInfo | undefined;
        if (request.validateOnly) {
          if (log.partitionCount(t.name) !== undefined) throw new TributaryError('TOPIC_EXISTS', `topic ${t.name} exists`);
        } else {
          created = await log.createTopic({ name: t.name, partitions, replicationFactor: 1, ...settings });
          logger.info('topic created over the Kafka protocol', { topic: t.name, partitions });
        }
        topics.push({ name: t.name, topicId: created ? topicId(clusterId, created) : ZERO_UUID, errorCode: KafkaError.NONE, errorMessage: null, numPartitions: partitions, replicationFactor: 1, configs: describedConfigs(settings, log.topicDefaults()) });
      } catch (err) {
        topics.push(refused(kafkaErrorCode(err), (err as Error).message));
      }
    }
    return { topics };
  },
});
