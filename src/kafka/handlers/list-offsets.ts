/**
 * Runs on: main thread.
 *
 * ListOffsets (key 2): timestamp -2 is the log start offset, -1 the high watermark
 * (partition-ends.ts), any other the first offset whose timestamp is at or after it.
 */
import type { TopicInfo } from '../../log/types.js';
import { defineApi, specOf } from '../api.js';
import { KafkaError, kafkaErrorCode } from '../error-codes.js';
import { readListOffsetsRequest } from '../messages/list-offsets-request.js';
import { listOffsetsResponseSpec, writeListOffsetsResponse } from '../messages/list-offsets-response.js';
import { EARLIEST, LATEST, partitionEnd } from '../partition-ends.js';

export const listOffsets = defineApi({
  ...specOf(listOffsetsResponseSpec, { min: 1, max: 7 }),
  name: 'ListOffsets',
  readRequest: readListOffsetsRequest,
  writeResponse: writeListOffsetsResponse,
  async handle(request, _ctx, { log }) {
    const topics = await Promise.all(
      request.topics.map(async (topic) => {
        let info: TopicInfo | undefined;
        let topicError = KafkaError.NONE as number;
        try {
          info = log.describeTopicLayout(topic.name);
        } catch (err) {
          topicError = kafkaErrorCode(err);
        }
        const partitions = await Promise.all(
          topic.partitions.map(async ({ partitionIndex, timestamp }) => {
            const p = info?.partitions[partitionIndex];
            if (!info || !p) {
              return { partitionIndex, errorCode: topicError || KafkaError.UNKNOWN_TOPIC_OR_PARTITION, timestamp: -1, offset: -1, leaderEpoch: -1 };
            }
            try {
              let offset: number;
              if (timestamp === LATEST || timestamp === EARLIEST) {
                offset = await partitionEnd(log, topic.name, partitionIndex, timestamp);
              } else {
                offset = await log.offsetForTimestamp(topic.name, partitionIndex, timestamp);
              }
              return { partitionIndex, errorCode: KafkaError.NONE, timestamp: -1, offset, leaderEpoch: p.leaderEpoch };
            } catch (err) {
              return { partitionIndex, errorCode: kafkaErrorCode(err), timestamp: -1, offset: -1, leaderEpoch: -1 };
            }
          }),
        );
        return { name: topic.name, partitions };
      }),
    );
    return { topics };
  },
});
