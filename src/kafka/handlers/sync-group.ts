/**
 * Runs on: main thread.
 *
 * SyncGroup (key 14): the leader's call carries every member's assignment, which the coordinator
 * relays; every member's call answers with its own.
 */
import { defineApi, specOf } from '../api.js';
import { assignedPartitions, CONSUMER_PROTOCOL_TYPE } from '../consumer-protocol.js';
import { KafkaError, kafkaErrorCode } from '../error-codes.js';
import { readSyncGroupRequest } from '../messages/sync-group-request.js';
import { syncGroupResponseSpec, writeSyncGroupResponse } from '../messages/sync-group-response.js';

export const syncGroup = defineApi({
  ...specOf(syncGroupResponseSpec, { min: 0, max: 5 }),
  name: 'SyncGroup',
  readRequest: readSyncGroupRequest,
  writeResponse: writeSyncGroupResponse,
  async handle(request, _ctx, { groups }) {
    const consumer = request.protocolType === null || request.protocolType === CONSUMER_PROTOCOL_TYPE;
    try {
      groups.checkInstance(request.groupId, request.memberId, request.groupInstanceId);
      const assignment = await groups.syncGroup(
        request.groupId,
        request.memberId,
        request.generationId,
        request.assignments.map((a) => ({
          memberId: a.memberId,
          assignment: Buffer.from(a.assignment),
          partitions: consumer ? assignedPartitions(a.assignment) : [],
        })),
      );
      return { errorCode: KafkaError.NONE, protocolType: request.protocolType, protocolName: request.protocolName, assignment };
    } catch (err) {
      return { errorCode: kafkaErrorCode(err, 'group'), protocolType: request.protocolType, protocolName: request.protocolName, assignment: Buffer.alloc(0) };
    }
  },
});
