/**
 * Runs on: main thread.
 *
 * Metadata (key 3): one broker, the listener itself, leads every partition and is the
 * controller. v0 is served too: kafka-python bootstraps with it. Topics are never created by a
 * Metadata request: they come from the config or the admin API, so an unknown topic is
 * UNKNOWN_TOPIC_OR_PARTITION. Topic ids come from topic-ids.ts; a request naming a topic only
 * by id (v10+) is not answered by id yet. A topic named several times is answered once.
 */
import type { TopicInfo } from '../../log/types.js';
import { defineApi, specOf } from '../api.js';
import { KafkaError, kafkaErrorCode } from '../error-codes.js';
import { readMetadataRequest } from '../messages/metadata-request.js';
import { type MetadataResponseTopic, metadataResponseSpec, writeMetadataResponse } from '../messages/metadata-response.js';
import type { Fields } from '../protocol/fields.js';
import { topicId } from '../topic-ids.js';

/** "Not requested" in Kafka's authorized-operations fields. */
const OPERATIONS_OMITTED = -2147483648;

export const metadata = defineApi({
  ...specOf(metadataResponseSpec, { min: 0, max: 12 }),
  name: 'Metadata',
  readRequest: readMetadataRequest,
  writeResponse: writeMetadataResponse,
  async handle(request, ctx, { log, nodeId, clusterId }) {
    const describe = (info: TopicInfo): Fields<MetadataResponseTopic> => ({
      errorCode: KafkaError.NONE,
      name: info.name,
      topicId: topicId(clusterId, info),
      isInternal: false,
      topicAuthorizedOperations: OPERATIONS_OMITTED,
      partitions: info.partitions.map((p) => ({
        errorCode: KafkaError.NONE,
        partitionIndex: p.partition,
        leaderId: nodeId,
        leaderEpoch: p.leaderEpoch,
        replicaNodes: [nodeId],
        isrNodes: [nodeId],
        offlineReplicas: [],
      })),
    });
    let topics: Fields<MetadataResponseTopic>[];
    // v0 has no null: an empty list asks for every topic (kafka-python bootstraps with it).
    if (request.topics === null || (ctx.version === 0 && request.topics.length === 0)) {
      // Partitions and epochs only: the brokers' figures (offsets, sizes) are not asked for.
      topics = log.listTopicLayouts().map(describe);
    } else {
      // Each topic once, as Kafka answers (it reads the names as a set): a request naming one
      // thousands of times would otherwise get an answer many times its size.
      const named = [...new Map(request.topics.map((t) => [t.name, t])).values()];
      topics = named.map(({ name }) => {
        if (name === null) return { errorCode: KafkaError.UNKNOWN_TOPIC_OR_PARTITION, name: null, partitions: [] };
        try {
          return describe(log.describeTopicLayout(name));
        } catch (err) {
          return { errorCode: kafkaErrorCode(err), name, partitions: [], topicAuthorizedOperations: OPERATIONS_OMITTED };
        }
      });
    }
    return {
      brokers: [{ nodeId, host: ctx.advertisedHost, port: ctx.advertisedPort, rack: null }],
      clusterId,
      controllerId: nodeId,
      topics,
      clusterAuthorizedOperations: OPERATIONS_OMITTED,
    };
  },
});
