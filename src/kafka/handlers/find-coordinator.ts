/**
 * Runs on: main thread.
 *
 * FindCoordinator (key 10): the one broker coordinates every group. Transactions are not
 * served: a transaction coordinator is refused with TRANSACTIONAL_ID_AUTHORIZATION_FAILED, as
 * Kafka refuses a producer not allowed its transactional id. Clients hold that fatal, so a
 * transactional producer fails at once; COORDINATOR_NOT_AVAILABLE, which they retry, left
 * librdkafka's init_transactions waiting out its timeout.
 */
import { defineApi, specOf } from '../api.js';
import { KafkaError } from '../error-codes.js';
import { readFindCoordinatorRequest } from '../messages/find-coordinator-request.js';
import { findCoordinatorResponseSpec, writeFindCoordinatorResponse } from '../messages/find-coordinator-response.js';

const GROUP_KEY_TYPE = 0;

export const findCoordinator = defineApi({
  ...specOf(findCoordinatorResponseSpec, { min: 0, max: 4 }),
  name: 'FindCoordinator',
  readRequest: readFindCoordinatorRequest,
  writeResponse: writeFindCoordinatorResponse,
  async handle(request, ctx, { nodeId }) {
    const served = request.keyType === GROUP_KEY_TYPE;
    const errorCode = served ? KafkaError.NONE : KafkaError.TRANSACTIONAL_ID_AUTHORIZATION_FAILED;
    const errorMessage = served ? null : "transactions are not served by Tributary's Kafka listener; unset transactional.id";
    const answer = { nodeId: served ? nodeId : -1, host: served ? ctx.advertisedHost : '', port: served ? ctx.advertisedPort : -1, errorCode, errorMessage };
    if (ctx.version >= 4) return { coordinators: request.coordinatorKeys.map((key) => ({ key, ...answer })) };
    return answer;
  },
});
