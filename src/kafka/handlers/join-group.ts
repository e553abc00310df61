/**
 * Runs on: main thread.
 *
 * JoinGroup (key 11): the member joins through Tributary's one group coordinator, which answers
 * once the rebalance's joins complete: the leader gets every member's metadata for the protocol
 * chosen and assigns client-side (SyncGroup). A new member is given its id at once (Kafka's
 * MEMBER_ID_REQUIRED round trip is not asked for).
 */
import { defineApi, specOf } from '../api.js';
import { CONSUMER_PROTOCOL_TYPE, subscribedTopics } from '../consumer-protocol.js';
import { KafkaError, kafkaErrorCode } from '../error-codes.js';
import { readJoinGroupRequest } from '../messages/join-group-request.js';
import { joinGroupResponseSpec, writeJoinGroupResponse } from '../messages/join-group-response.js';

/** Kafka's group.max.session.timeout.ms default: a longer session could hold partitions for hours. */
const MAX_SESSION_TIMEOUT_MS = 30 * 60_000;

export const joinGroup = defineApi({
  ...specOf(joinGroupResponseSpec, { min: 0, max: 7 }),
  name: 'JoinGroup',
  readRequest: readJoinGroupRequest,
  writeResponse: writeJoinGroupResponse,
  async handle(request, ctx, { groups }) {
    const failed = (errorCode: number) => ({ errorCode, generationId: -1, protocolType: null, protocolName: null, leader: '', memberId: request.memberId, members: [] });
    const { sessionTimeoutMs } = request;
    if (!(sessionTimeoutMs > 0 && sessionTimeoutMs <= MAX_SESSION_TIMEOUT_MS)) return failed(KafkaError.INVALID_SESSION_TIMEOUT);
    const first = request.protocols[0];
    const topics = request.protocolType === CONSUMER_PROTOCOL_TYPE && first ? subscribedTopics(first.metadata) : [];
    try {
      if (request.memberId !== '') groups.checkInstance(request.groupId, request.memberId, request.groupInstanceId);
      const joined = await groups.joinGroup({
        group: request.groupId,
        memberId: request.memberId,
        clientId: ctx.clientId ?? '',
        topics,
        sessionTimeoutMs,
        // v0 has no rebalance timeout: Kafka uses the session timeout.
        rebalanceTimeoutMs: ctx.version >= 1 ? request.rebalanceTimeoutMs : sessionTimeoutMs,
        assignor: 'range',
        clientSide: {
          protocolType: request.protocolType,
          protocols: request.protocols.map((p) => ({ name: p.name, metadata: Buffer.from(p.metadata) })),
          groupInstanceId: request.groupInstanceId,
          clientHost: `/${ctx.remote.replace(/:\d+$/, '')}`,
        },
      });
      return {
        errorCode: KafkaError.NONE,
        generationId: joined.generation,
        protocolType: request.protocolType,
        protocolName: joined.protocolName ?? null,
        leader: joined.leaderId,
        memberId: joined.memberId,
        members: joined.members ?? [],
      };
    } catch (err) {
      return failed(kafkaErrorCode(err, 'group'));
    }
  },
});
