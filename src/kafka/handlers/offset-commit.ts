/**
 * Runs on: main thread.
 *
 * OffsetCommit (key 8): durable once answered, in the same store as the pipelines' commits, so
 * /api/v1/groups and `tributary groups` show them with lag. A member commits with its id and
 * generation; a client outside any group (generation -1) only while the group has no members.
 */
import type { CommitIdentity } from '../../groups/types.js';
import { defineApi, specOf } from '../api.js';
import { KafkaError, kafkaErrorCode } from '../error-codes.js';
import { readOffsetCommitRequest } from '../messages/offset-commit-request.js';
import { offsetCommitResponseSpec, writeOffsetCommitResponse } from '../messages/offset-commit-response.js';

export const offsetCommit = defineApi({
  ...specOf(offsetCommitResponseSpec, { min: 2, max: 8 }),
  name: 'OffsetCommit',
  readRequest: readOffsetCommitRequest,
  writeResponse: writeOffsetCommitResponse,
  async handle(request, _ctx, { groups }) {
    const generation = request.generationIdOrMemberEpoch;
    const member: CommitIdentity | undefined = generation >= 0 || request.memberId !== '' ? { memberId: request.memberId, generation } : undefined;
    const offsets = request.topics.flatMap((t) =>
      t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, offset: p.committedOffset, metadata: p.committedMetadata ?? undefined })),
    );
    let errorCode: number = KafkaError.NONE;
    try {
      await groups.commitOffsets(request.groupId, offsets, member);
    } catch (err) {
      errorCode = kafkaErrorCode(err, 'group');
    }
    return {
      topics: request.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })) })),
    };
  },
});
