/**
 * Runs on: main thread.
 *
 * OffsetCommit (key 8): durable once answered, in the same store as the pipelines' commits, so
 * /api/v1/groups and `tributary groups` show them with lag. A member commits with its id and
 * generation; a client outside any group (generation -1) only while the group has no members.
 *
 * kafkajs resets a group (its admin resetOffsets, a consumer whose offset is out of range) by
 * committing -2 (earliest) or -1 (latest), which Kafka stores as they are and kafkajs resolves
 * when it next starts; here they are resolved as they are committed, to the partition's log start
 * or high watermark, so that every reader of the group (the admin API, pipelines, other clients)
 * sees an offset of the log.
 *
 * As with Kafka, a partition that does not exist (UNKNOWN_TOPIC_OR_PARTITION) or metadata over
 * 4096 bytes (OFFSET_METADATA_TOO_LARGE) refuses that partition's offset only; the rest are committed.
 * A commit from outside the group (generation -1, no member id) while it has members is
 * UNKNOWN_MEMBER_ID, as Kafka answers it.
 */
import { TributaryError } from '../../errors.js';
import type { CommitIdentity } from '../../groups/types.js';
import type { EmbeddedBackend } from '../../log/embedded/embedded-backend.js';
import { defineApi, specOf } from '../api.js';
import { KafkaError, kafkaErrorCode } from '../error-codes.js';
import { readOffsetCommitRequest } from '../messages/offset-commit-request.js';
import { offsetCommitResponseSpec, writeOffsetCommitResponse } from '../messages/offset-commit-response.js';
import { EARLIEST, LATEST, partitionEnd } from '../partition-ends.js';

/** Kafka's offset.metadata.max.bytes: longer metadata is OFFSET_METADATA_TOO_LARGE. */
const MAX_METADATA_BYTES = 4096;

/** Why Kafka refuses one partition's offset whatever the group (the others are committed); NONE when it does not. */
function refusal(log: EmbeddedBackend, topic: string, partition: number, metadata: string | null): number {
  const count = log.partitionCount(topic);
  if (count === undefined || partition < 0 || partition >= count) return KafkaError.UNKNOWN_TOPIC_OR_PARTITION;
  if (metadata !== null && Buffer.byteLength(metadata) > MAX_METADATA_BYTES) return KafkaError.OFFSET_METADATA_TOO_LARGE;
  return KafkaError.NONE;
}

export const offsetCommit = defineApi({
  ...specOf(offsetCommitResponseSpec, { min: 2, max: 8 }),
  name: 'OffsetCommit',
  readRequest: readOffsetCommitRequest,
  writeResponse: writeOffsetCommitResponse,
  async handle(request, _ctx, { groups, log }) {
    const generation = request.generationIdOrMemberEpoch;
    const member: CommitIdentity | undefined = generation >= 0 || request.memberId !== '' ? { memberId: request.memberId, generation } : undefined;
    const answers = request.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: refusal(log, t.name, p.partitionIndex, p.committedMetadata) })),
    }));
    const offsets = request.topics.flatMap((t, i) =>
      t.partitions
        .filter((_, j) => answers[i].partitions[j].errorCode === KafkaError.NONE)
        .map((p) => ({ topic: t.name, partition: p.partitionIndex, offset: p.committedOffset, metadata: p.committedMetadata ?? undefined })),
    );
    if (offsets.length === 0) return { topics: answers };
    try {
      for (const o of offsets) if (o.offset === EARLIEST || o.offset === LATEST) o.offset = await partitionEnd(log, o.topic, o.partition, o.offset);
      groups.checkInstance(request.groupId, request.memberId, request.groupInstanceId);
      await groups.commitOffsets(request.groupId, offsets, member);
    } catch (err) {
      // Kafka refuses a memberless commit to a group with members as from an unknown member.
      const notMember = member === undefined && err instanceof TributaryError && err.code === 'GROUP_NOT_EMPTY';
      const errorCode = notMember ? KafkaError.UNKNOWN_MEMBER_ID : kafkaErrorCode(err, 'group');
      for (const p of answers.flatMap((t) => t.partitions)) if (p.errorCode === KafkaError.NONE) p.errorCode = errorCode;
    }
    return { topics: answers };
  },
});
