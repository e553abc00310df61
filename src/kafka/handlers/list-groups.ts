/**
 * Runs on: main thread.
 *
 * ListGroups (key 16): every group the coordinator knows, the gateway's pipelines included
 * (listed with the consumer protocol type, as Kafka tools expect of consumer groups).
 */
import { defineApi, specOf } from '../api.js';
import { CONSUMER_PROTOCOL_TYPE } from '../consumer-protocol.js';
import { KafkaError, kafkaErrorCode } from '../error-codes.js';
import { readListGroupsRequest } from '../messages/list-groups-request.js';
import { listGroupsResponseSpec, writeListGroupsResponse } from '../messages/list-groups-response.js';

export const listGroups = defineApi({
  ...specOf(listGroupsResponseSpec, { min: 0, max: 4 }),
  name: 'ListGroups',
  readRequest: readListGroupsRequest,
  writeResponse: writeListGroupsResponse,
  async handle(request, _ctx, { groups }) {
    try {
      const states = new Set(request.statesFilter.map((s) => s.toLowerCase()));
      const listed = (await groups.listGroups()).filter((g) => states.size === 0 || states.has(g.state.toLowerCase()));
      return {
        errorCode: KafkaError.NONE,
        groups: listed.map((g) => ({ groupId: g.group, protocolType: groups.membership(g.group)?.protocolType ?? CONSUMER_PROTOCOL_TYPE, groupState: g.state })),
      };
    } catch (err) {
      return { errorCode: kafkaErrorCode(err, 'group'), groups: [] };
    }
  },
});
