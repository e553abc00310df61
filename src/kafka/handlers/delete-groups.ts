/**
 * Runs on: main thread.
 *
 * DeleteGroups (key 42): a group with no members is deleted with its committed offsets (the log
 * backend's deleteGroup); one with members is NON_EMPTY_GROUP, one the coordinator does not know
 * GROUP_ID_NOT_FOUND. Each group named gets one answer, however often the request names it (one
 * deletion each, not one per name).
 */
import { defineApi, specOf } from '../api.js';
import { KafkaError, kafkaErrorCode } from '../error-codes.js';
import { readDeleteGroupsRequest } from '../messages/delete-groups-request.js';
import { deleteGroupsResponseSpec, writeDeleteGroupsResponse } from '../messages/delete-groups-response.js';

export const deleteGroups = defineApi({
  ...specOf(deleteGroupsResponseSpec, { min: 0, max: 2 }),
  name: 'DeleteGroups',
  readRequest: readDeleteGroupsRequest,
  writeResponse: writeDeleteGroupsResponse,
  async handle(request, _ctx, { groups }) {
    const results = [];
    for (const groupId of new Set(request.groupsNames)) {
      try {
        // Kafka names a group it does not know; the coordinator's delete would pass over it.
        await groups.describeGroup(groupId);
        await groups.deleteGroup(groupId);
        results.push({ groupId, errorCode: KafkaError.NONE });
      } catch (err) {
        results.push({ groupId, errorCode: kafkaErrorCode(err, 'group') });
      }
    }
    return { throttleTimeMs: 0, results };
  },
});
