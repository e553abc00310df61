import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeAssignment, encodeSubscription } from '../../src/kafka/consumer-protocol.js';
import { KafkaError } from '../../src/kafka/error-codes.js';
import { readJoinGroupResponse, type JoinGroupResponse } from '../../src/kafka/messages/join-group-response.js';
import { writeJoinGroupRequest } from '../../src/kafka/messages/join-group-request.js';
import { writeOffsetCommitRequest } from '../../src/kafka/messages/offset-commit-request.js';
import { readOffsetCommitResponse } from '../../src/kafka/messages/offset-commit-response.js';
import { writeSyncGroupRequest } from '../../src/kafka/messages/sync-group-request.js';
import { readSyncGroupResponse } from '../../src/kafka/messages/sync-group-response.js';
import { KafkaReader } from '../../src/kafka/protocol/reader.js';
import { type KafkaGateway, startKafkaGateway } from './helpers.js';
import { header, RawClient } from './raw-client.js';

const TOPIC = 'events_in';
const GROUP = 'commit-before-sync';

/**
 * A member that commits between its JoinGroup answer and its SyncGroup (the group is in
 * CompletingRebalance): Kafka answers REBALANCE_IN_PROGRESS and stores nothing, since the member
 * does not know its partitions for this generation yet. Spoken on the wire, as a client would.
 */
describe('OffsetCommit while the group waits for the leader to assign', () => {
  let g: KafkaGateway;
  let c: RawClient;
  let correlation = 0;
  beforeAll(async () => {
    g = await startKafkaGateway({ partitions: 2 });
    c = await RawClient.open(g.bootstrap);
  }, 60_000);
  afterAll(async () => {
    c?.close();
    await g?.stop();
  });

  async function call<T>(apiKey: number, version: number, body: (w: Parameters<Parameters<RawClient['send']>[0]>[0]) => void, read: (r: KafkaReader) => T): Promise<T> {
    const id = ++correlation;
    c.send((w) => {
      header(apiKey, version, id)(w);
      body(w);
    });
    const r = new KafkaReader((await c.next())!);
    expect(r.int32()).toBe(id);
    return read(r);
  }

  const join = (): Promise<JoinGroupResponse> =>
    call(
      11,
      5,
      (w) =>
        writeJoinGroupRequest(w, 5, {
          groupId: GROUP,
          sessionTimeoutMs: 10_000,
          rebalanceTimeoutMs: 10_000,
          memberId: '',
          groupInstanceId: null,
          protocolType: 'consumer',
          protocols: [{ name: 'range', metadata: encodeSubscription([TOPIC]) }],
        }),
      (r) => readJoinGroupResponse(r, 5),
    );

  const commit = (memberId: string, generation: number, offset: number): Promise<number[]> =>
    call(
      8,
      7,
      (w) =>
        writeOffsetCommitRequest(w, 7, {
          groupId: GROUP,
          generationIdOrMemberEpoch: generation,
          memberId,
          groupInstanceId: null,
          topics: [{ name: TOPIC, partitions: [0, 1].map((partitionIndex) => ({ partitionIndex, committedOffset: offset, committedLeaderEpoch: -1, committedMetadata: null })) }],
        }),
      (r) => readOffsetCommitResponse(r, 7).topics.flatMap((t) => t.partitions.map((p) => p.errorCode)),
    );

  async function committed(): Promise<number[]> {
    const res = await fetch(`${g.adminUrl}/api/v1/groups/${GROUP}`);
    const body = (await res.json()) as { partitions?: { partition: number; committedOffset: number | null }[] };
    return (body.partitions ?? []).filter((p) => p.committedOffset !== null).map((p) => p.committedOffset!);
  }

  it('refuses the commit with REBALANCE_IN_PROGRESS until the member has synced, then takes it', async () => {
    const joined = await join();
    expect(joined.errorCode).toBe(KafkaError.NONE);
    expect(joined.leader).toBe(joined.memberId);

    expect(await commit(joined.memberId, joined.generationId, 5)).toEqual([KafkaError.REBALANCE_IN_PROGRESS, KafkaError.REBALANCE_IN_PROGRESS]);
    expect(await committed()).toEqual([]);

    const synced = await call(
      14,
      3,
      (w) =>
        writeSyncGroupRequest(w, 3, {
          groupId: GROUP,
          generationId: joined.generationId,
          memberId: joined.memberId,
          groupInstanceId: null,
          assignments: [{ memberId: joined.memberId, assignment: encodeAssignment([0, 1].map((partition) => ({ topic: TOPIC, partition }))) }],
        }),
      (r) => readSyncGroupResponse(r, 3),
    );
    expect(synced.errorCode).toBe(KafkaError.NONE);

    expect(await commit(joined.memberId, joined.generationId, 5)).toEqual([KafkaError.NONE, KafkaError.NONE]);
    expect(await committed()).toEqual([5, 5]);
  }, 60_000);
});
