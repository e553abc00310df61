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
 */
import type { CommitIdentity } from '../../groups/types.js';
import { defineApi, specOf } from '../api.js';
import { KafkaError, kafkaErrorCode } from '../error-codes.js';
import { readOffsetCommitRequest } from '../messages/offset-commit-request.js';
import { offsetCommitResponseSpec, writeOffsetCommitResponse } from '../messages/offset-commit-response.js';
import { EARLIEST, LATEST, partitionEnd } from '../partition-ends.js';

export const offsetCommit = defineApi({
  ...specOf(offsetCommitResponseSpec, { min: 2, max: 8 }),
  name: 'OffsetCommit',
  readRequest: readOffsetCommitRequest,
  writeResponse: writeOffsetCommitResponse,
  async handle(request, _ctx, { groups, log }) {
    const generation = request.generationIdOrMemberEpoch;
    const member: CommitIdentity | undefined = generation >= 0 || request.memberId !== '' ? { memberId: request.memberId, generation } : undefined;
    const offsets = request.topics.flatMap((t) =>
      t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, offset: p.committedOffset, metadata: p.committedMetadata ?? undefined })),
    );
    let errorCode: number = KafkaError.NONE;
    try {
      for (const o of offsets) if (o.offset === EARLIEST || o.offset === LATEST) o.offset = await partitionEnd(log, o.topic, o.partition, o.offset);
      await groups.commitOffsets(request.groupId, offsets, member);
    } catch (err) {
      errorCode = kafkaErrorCode(err, 'group');
    }
    return {
      topics: request.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })) })),
    };
  },
});
