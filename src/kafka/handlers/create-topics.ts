/**
 * Runs on: main thread.
 *
 * CreateTopics (key 19): creates topics in the embedded log, as the admin API does, with the
 * settings of configs.ts. Explicit replica assignments only set the partition count (the one
 * broker holds every partition); -1 partitions or replication factor means 1. Another replication
 * factor is INVALID_REPLICATION_FACTOR, as a one-broker Kafka answers it. Each topic created (or
 * validated) is answered with its configs, as DescribeConfigs shows them, as Kafka does from v5.
 */
import { TributaryError } from '../../errors.js';
import { defineApi, specOf } from '../api.js';
import { KafkaError, kafkaErrorCode } from '../error-codes.js';
import { readCreateTopicsRequest } from '../messages/create-topics-request.js';
import { createTopicsResponseSpec, writeCreateTopicsResponse } from '../messages/create-topics-response.js';
import { describedConfigs, settingsFromConfigs } from '../topic-configs.js';
import { topicId } from '../topic-ids.js';

export const createTopics = defineApi({
  ...specOf(createTopicsResponseSpec, { min: 0, max: 7 }),
  name: 'CreateTopics',
  readRequest: readCreateTopicsRequest,
  writeResponse: writeCreateTopicsResponse,
  async handle(request, _ctx, { log, clusterId, logger }) {
    const topics = [];
    // One at a time, in request order, so that a name given twice is created once.
    for (const t of request.topics) {
      const partitions = t.assignments.length > 0 ? t.assignments.length : t.numPartitions < 0 ? 1 : t.numPartitions;
      const replicationFactor = t.replicationFactor < 0 ? 1 : t.replicationFactor;
      const refused = (errorCode: number, errorMessage: string) => ({ name: t.name, errorCode, errorMessage, numPartitions: -1, replicationFactor: -1, configs: null });
      try {
        const settings = settingsFromConfigs(t.configs);
        if (!(partitions >= 1)) throw new TributaryError('INVALID_PARTITIONS', `a topic needs at least one partition, not ${partitions}`);
        if (replicationFactor !== 1) {
          const message = `replication factor ${replicationFactor} is larger than the 1 broker the Kafka listener offers; use 1`;
          topics.push(refused(KafkaError.INVALID_REPLICATION_FACTOR, message));
          continue;
        }
        if (request.validateOnly) {
          if (log.partitionCount(t.name) !== undefined) throw new TributaryError('TOPIC_EXISTS', `topic ${t.name} exists`);
        } else {
          await log.createTopic({ name: t.name, partitions, replicationFactor, ...settings });
          logger.info('topic created over the Kafka protocol', { topic: t.name, partitions });
        }
        topics.push({ name: t.name, topicId: topicId(clusterId, t.name), errorCode: KafkaError.NONE, errorMessage: null, numPartitions: partitions, replicationFactor, configs: describedConfigs(settings, log.topicDefaults()) });
      } catch (err) {
        topics.push(refused(kafkaErrorCode(err), (err as Error).message));
      }
    }
    return { topics };
  },
});
