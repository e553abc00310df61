import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeSubscription, MAX_SUBSCRIBED_TOPICS } from '../../src/kafka/consumer-protocol.js';
import { KafkaError } from '../../src/kafka/error-codes.js';
import { readJoinGroupResponse } from '../../src/kafka/messages/join-group-response.js';
import { writeJoinGroupRequest } from '../../src/kafka/messages/join-group-request.js';
import { KafkaReader } from '../../src/kafka/protocol/reader.js';
import { type KafkaGateway, startKafkaGateway } from './helpers.js';
import { header, RawClient } from './raw-client.js';

/**
 * A member's subscription is kept by the coordinator for the member's life, its topics as
 * strings: one naming more topics than a gateway can hold (a million names fit in a request) is
 * relayed as sent but not read, so the member is shown with no topics instead of holding tens of
 * megabytes. Spoken on the wire, as a client would.
 */
describe('JoinGroup with a subscription naming more topics than can exist', () => {
  let g: KafkaGateway;
  let c: RawClient;
  let correlation = 0;
  beforeAll(async () => {
    g = await startKafkaGateway({ partitions: 1 });
    c = await RawClient.open(g.bootstrap);
  }, 60_000);
  afterAll(async () => {
    c?.close();
    await g?.stop();
  });

  async function join(group: string, topics: string[]): Promise<number> {
    const id = ++correlation;
    c.send((w) => {
      header(11, 5, id)(w);
      writeJoinGroupRequest(w, 5, {
        groupId: group,
        sessionTimeoutMs: 10_000,
        rebalanceTimeoutMs: 10_000,
        memberId: '',
        groupInstanceId: null,
        protocolType: 'consumer',
        protocols: [{ name: 'range', metadata: encodeSubscription(topics) }],
      });
    });
    const r = new KafkaReader((await c.next())!);
    expect(r.int32()).toBe(id);
    return readJoinGroupResponse(r, 5).errorCode;
  }

  async function shownTopics(group: string): Promise<string[][]> {
    const described = (await (await fetch(`${g.adminUrl}/api/v1/groups/${group}`)).json()) as { members: { topics: string[] }[] };
    return described.members.map((m) => m.topics);
  }

  it('lets the member join and shows it with no topics; a subscription within the bound is shown whole', async () => {
    const many = Array.from({ length: MAX_SUBSCRIBED_TOPICS + 1 }, (_, i) => `t${i}`);
    expect(await join('wide', many)).toBe(KafkaError.NONE);
    expect(await shownTopics('wide')).toEqual([[]]);

    expect(await join('narrow', ['events_in', 'otlp_spans'])).toBe(KafkaError.NONE);
    expect(await shownTopics('narrow')).toEqual([['events_in', 'otlp_spans']]);
  });
});
