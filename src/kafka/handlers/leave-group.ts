/**
 * Runs on: main thread.
 *
 * LeaveGroup (key 13): the member leaves at once and the group rebalances. From v3 a request
 * names several members, static ones by their group.instance.id.
 */
import { defineApi, specOf } from '../api.js';
import { KafkaError, kafkaErrorCode } from '../error-codes.js';
import { readLeaveGroupRequest } from '../messages/leave-group-request.js';
import { leaveGroupResponseSpec, writeLeaveGroupResponse } from '../messages/leave-group-response.js';

export const leaveGroup = defineApi({
  ...specOf(leaveGroupResponseSpec, { min: 0, max: 4 }),
  name: 'LeaveGroup',
  readRequest: readLeaveGroupRequest,
  writeResponse: writeLeaveGroupResponse,
  async handle(request, ctx, { groups }) {
    const leave = async (memberId: string, groupInstanceId: string | null) => {
      const id = memberId || (groupInstanceId ? groups.memberIdOfInstance(request.groupId, groupInstanceId) : undefined) || memberId;
      try {
        if (memberId) groups.checkInstance(request.groupId, memberId, groupInstanceId);
        await groups.leaveGroup(request.groupId, id);
        return KafkaError.NONE as number;
      } catch (err) {
        return kafkaErrorCode(err, 'group');
      }
    };
    if (ctx.version < 3) return { errorCode: await leave(request.memberId, null) };
    const members = [];
    for (const m of request.members) members.push({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, errorCode: await leave(m.memberId, m.groupInstanceId) });
    return { errorCode: KafkaError.NONE, members };
  },
});
