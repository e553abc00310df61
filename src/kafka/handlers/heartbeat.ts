/**
 * Runs on: main thread.
 *
 * Heartbeat (key 12): keeps the member's session; REBALANCE_IN_PROGRESS tells it to rejoin.
 */
import { defineApi, specOf } from '../api.js';
import { KafkaError, kafkaErrorCode } from '../error-codes.js';
import { readHeartbeatRequest } from '../messages/heartbeat-request.js';
import { heartbeatResponseSpec, writeHeartbeatResponse } from '../messages/heartbeat-response.js';

export const heartbeat = defineApi({
  ...specOf(heartbeatResponseSpec, { min: 0, max: 4 }),
  name: 'Heartbeat',
  readRequest: readHeartbeatRequest,
  writeResponse: writeHeartbeatResponse,
  async handle(request, _ctx, { groups }) {
    try {
      groups.checkInstance(request.groupId, request.memberId, request.groupInstanceId);
      await groups.heartbeat(request.groupId, request.memberId, request.generationId);
      return { errorCode: KafkaError.NONE };
    } catch (err) {
      return { errorCode: kafkaErrorCode(err, 'group') };
    }
  },
});
