/**
 * Runs on: main thread.
 *
 * DescribeGroups (key 15): a group of Kafka clients as its members sent it (opaque metadata and
 * assignments); a group of the gateway's pipelines in the consumer protocol's encoding, so that
 * Kafka tools can read both. A group that does not exist is "Dead", as Kafka answers. Each group
 * named is answered once, however often the request names it.
 */
import { TributaryError } from '../../errors.js';
import { defineApi, type KafkaServices, specOf } from '../api.js';
import { CONSUMER_PROTOCOL_TYPE, encodeAssignment, encodeSubscription } from '../consumer-protocol.js';
import { KafkaError, kafkaErrorCode } from '../error-codes.js';
import { readDescribeGroupsRequest } from '../messages/describe-groups-request.js';
import { type DescribeGroupsResponseDescribedGroup, describeGroupsResponseSpec, writeDescribeGroupsResponse } from '../messages/describe-groups-response.js';
import type { Fields } from '../protocol/fields.js';

const OPERATIONS_OMITTED = -2147483648;

async function describe(groups: KafkaServices['groups'], groupId: string): Promise<Fields<DescribeGroupsResponseDescribedGroup>> {
  const dead = { errorCode: KafkaError.NONE, groupId, groupState: 'Dead', protocolType: '', protocolData: '', members: [], authorizedOperations: OPERATIONS_OMITTED };
  try {
    const membership = groups.membership(groupId);
    if (membership) {
      return {
        ...dead,
        groupState: membership.state,
        protocolType: membership.protocolType,
        protocolData: membership.protocolName,
        members: membership.members.map((m) => ({ ...m, memberMetadata: m.metadata, memberAssignment: m.assignment })),
      };
    }
    const d = await groups.describeGroup(groupId);
    return {
      ...dead,
      groupState: d.state,
      protocolType: d.members.length > 0 ? CONSUMER_PROTOCOL_TYPE : '',
      protocolData: d.members.length > 0 ? d.assignor : '',
      members: d.members.map((m) => ({
        memberId: m.memberId,
        groupInstanceId: null,
        clientId: m.clientId,
        clientHost: '/127.0.0.1',
        memberMetadata: encodeSubscription(m.topics),
        memberAssignment: encodeAssignment(m.assignment),
      })),
    };
  } catch (err) {
    if (err instanceof TributaryError && err.code === 'UNKNOWN_GROUP') return dead;
    return { ...dead, groupState: '', errorCode: kafkaErrorCode(err, 'group') };
  }
}

export const describeGroups = defineApi({
  ...specOf(describeGroupsResponseSpec, { min: 0, max: 5 }),
  name: 'DescribeGroups',
  readRequest: readDescribeGroupsRequest,
  writeResponse: writeDescribeGroupsResponse,
  async handle(request, _ctx, { groups }) {
    // A group named several times is described and answered once: a group without members in
    // the coordinator (a pipeline's, one that only stores offsets) is described with its topics'
    // offsets, which asks their brokers, and a group's members carry their metadata and
    // assignments, so one request naming it many times would multiply both.
    const named = [...new Set(request.groups)];
    return { groups: await Promise.all(named.map((groupId) => describe(groups, groupId))) };
  },
});
