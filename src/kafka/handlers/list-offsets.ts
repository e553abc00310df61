/**
 * Runs on: main thread.
 *
 * ListOffsets (key 2): timestamp -2 is the log start offset, -1 the high watermark
 * (partition-ends.ts), -3 (MAX_TIMESTAMP, KIP-734) the first record with the largest timestamp the
 * partition holds, any other the first offset whose timestamp is at or after it, with that
 * record's timestamp, or offset -1 and timestamp -1 when no record is that late (kafka-python's
 * offsets_for_times then says None, librdkafka's gives -1, as with Kafka). A partition named more
 * than once in a request is INVALID_REQUEST at each of its entries, not looked up, as Kafka answers
 * from v1: one request naming it thousands of times would otherwise read a batch for each.
 */
import type { EmbeddedBackend } from '../../log/embedded/embedded-backend.js';
import type { TopicInfo } from '../../log/types.js';
import { defineApi, specOf } from '../api.js';
import { KafkaError, kafkaErrorCode } from '../error-codes.js';
import { readListOffsetsRequest } from '../messages/list-offsets-request.js';
import { listOffsetsResponseSpec, writeListOffsetsResponse } from '../messages/list-offsets-response.js';
import { EARLIEST, LATEST, partitionEnd } from '../partition-ends.js';

const NONE_THAT_LATE = { offset: -1, timestamp: -1 };
/** Kafka's ListOffsetsRequest.MAX_TIMESTAMP: the record with the largest timestamp. */
const MAX_TIMESTAMP = -3;

/** The first record at or after `timestamp`: its offset and timestamp. */
async function recordAtOrAfter(log: EmbeddedBackend, topic: string, partition: number, timestamp: number): Promise<{ offset: number; timestamp: number }> {
  const offset = await log.offsetForTimestamp(topic, partition, timestamp);
  // The log answers its high watermark when no record is that late: that offset then holds no
  // record, or one appended since (which, stamped earlier, is not an answer either).
  const { records } = await log.fetch({ topic, partition, offset, maxBytes: 1 });
  const found = records.find((r) => r.offset === offset);
  return found && found.timestamp >= timestamp ? { offset, timestamp: found.timestamp } : NONE_THAT_LATE;
}

/** The first record holding the partition's largest timestamp, which is the first at or after it; none in an empty partition. */
async function recordWithLargestTimestamp(log: EmbeddedBackend, topic: string, partition: number): Promise<{ offset: number; timestamp: number }> {
  const largest = await log.maxTimestamp(topic, partition);
  return largest === undefined ? NONE_THAT_LATE : recordAtOrAfter(log, topic, partition, largest);
}

export const listOffsets = defineApi({
  ...specOf(listOffsetsResponseSpec, { min: 1, max: 7 }),
  name: 'ListOffsets',
  readRequest: readListOffsetsRequest,
  writeResponse: writeListOffsetsResponse,
  async handle(request, _ctx, { log }) {
    const named = new Map<string, number>();
    for (const topic of request.topics) {
      for (const { partitionIndex } of topic.partitions) {
        const key = `${topic.name}\u0000${partitionIndex}`;
        named.set(key, (named.get(key) ?? 0) + 1);
      }
    }
    // A timestamp's look-up reads a batch: they run one after another, so that a request naming
    // many partitions holds one batch at a time.
    let lookups: Promise<unknown> = Promise.resolve();
    const inTurn = <T>(lookup: () => Promise<T>): Promise<T> => {
      const done = lookups.then(lookup);
      lookups = done.catch(() => undefined);
      return done;
    };
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
            if (named.get(`${topic.name}\u0000${partitionIndex}`)! > 1) {
              return { partitionIndex, errorCode: KafkaError.INVALID_REQUEST, timestamp: -1, offset: -1, leaderEpoch: -1 };
            }
            const p = info?.partitions[partitionIndex];
            if (!info || !p) {
              return { partitionIndex, errorCode: topicError || KafkaError.UNKNOWN_TOPIC_OR_PARTITION, timestamp: -1, offset: -1, leaderEpoch: -1 };
            }
            try {
              const found =
                timestamp === LATEST || timestamp === EARLIEST
                  ? { offset: await partitionEnd(log, topic.name, partitionIndex, timestamp), timestamp: -1 }
                  : timestamp === MAX_TIMESTAMP
                    ? await inTurn(() => recordWithLargestTimestamp(log, topic.name, partitionIndex))
                    : await inTurn(() => recordAtOrAfter(log, topic.name, partitionIndex, timestamp));
              return { partitionIndex, errorCode: KafkaError.NONE, ...found, leaderEpoch: p.leaderEpoch };
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
