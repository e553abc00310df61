/**
 * The size of the Kafka listener's answers: a small request naming the same group or partition
 * many times is answered once per distinct name, so no client can make the gateway build an
 * answer many times the size of what it holds (a 1.2 MB OffsetFetch naming one group of 64
 * committed partitions 100,000 times was answered with 134 MB, held near 900 MB).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeCreateTopicsRequest } from '../../src/kafka/messages/create-topics-request.js';
import { readCreateTopicsResponse } from '../../src/kafka/messages/create-topics-response.js';
import { writeDescribeConfigsRequest } from '../../src/kafka/messages/describe-configs-request.js';
import { readDescribeConfigsResponse } from '../../src/kafka/messages/describe-configs-response.js';
import { writeDeleteTopicsRequest } from '../../src/kafka/messages/delete-topics-request.js';
import { readDeleteTopicsResponse } from '../../src/kafka/messages/delete-topics-response.js';
import { writeDeleteGroupsRequest } from '../../src/kafka/messages/delete-groups-request.js';
import { readDeleteGroupsResponse } from '../../src/kafka/messages/delete-groups-response.js';
import { writeDescribeGroupsRequest } from '../../src/kafka/messages/describe-groups-request.js';
import { readDescribeGroupsResponse } from '../../src/kafka/messages/describe-groups-response.js';
import { writeJoinGroupRequest } from '../../src/kafka/messages/join-group-request.js';
import { readJoinGroupResponse } from '../../src/kafka/messages/join-group-response.js';
import { writeListOffsetsRequest } from '../../src/kafka/messages/list-offsets-request.js';
import { readListOffsetsResponse } from '../../src/kafka/messages/list-offsets-response.js';
import { writeOffsetCommitRequest } from '../../src/kafka/messages/offset-commit-request.js';
import { readOffsetCommitResponse } from '../../src/kafka/messages/offset-commit-response.js';
import { writeOffsetFetchRequest } from '../../src/kafka/messages/offset-fetch-request.js';
import { writeProduceRequest } from '../../src/kafka/messages/produce-request.js';
import { readOffsetFetchResponse } from '../../src/kafka/messages/offset-fetch-response.js';
import { MAX_REQUEST_ENTRIES } from '../../src/kafka/api.js';
import { KafkaReader } from '../../src/kafka/protocol/reader.js';
import type { EmbeddedBackend } from '../../src/log/embedded/embedded-backend.js';
import { countCalls, type KafkaGateway, startKafkaGateway } from './helpers.js';
import { header, RawClient } from './raw-client.js';

const WIDE = 64;

describe('the Kafka listener answers each distinct name once', () => {
  let g: KafkaGateway;
  beforeAll(async () => {
    g = await startKafkaGateway({ topics: { wide: { partitions: WIDE } } });
    const c = await RawClient.open(g.bootstrap);
    // A memberless commit (as an offset reset does) of every partition of `wide`.
    c.send((w) => {
      header(8, 2, 1)(w);
      writeOffsetCommitRequest(w, 2, {
        groupId: 'g-wide',
        generationIdOrMemberEpoch: -1,
        memberId: '',
        retentionTimeMs: -1,
        topics: [{ name: 'wide', partitions: Array.from({ length: WIDE }, (_, p) => ({ partitionIndex: p, committedOffset: p, committedMetadata: '' })) }],
      });
    });
    const r = new KafkaReader((await c.next())!);
    r.int32();
    const committed = readOffsetCommitResponse(r, 2).topics[0].partitions;
    expect(committed.filter((p) => p.errorCode === 0).length).toBe(WIDE);
    c.close();
  }, 60_000);
  afterAll(() => g?.stop());

  it('answers an OffsetFetch v8 naming a group many times with the group once, and a partition named many times once', async () => {
    const c = await RawClient.open(g.bootstrap);
    const named = Array.from({ length: 20_000 }, () => ({ groupId: 'g-wide', memberId: null, memberEpoch: -1, topics: null }));
    const partition0 = { groupId: 'g-wide', memberId: null, memberEpoch: -1, topics: [{ name: 'wide', partitionIndexes: Array.from({ length: 20_000 }, () => 3) }] };
    c.send((w) => {
      header(9, 8, 7, 2)(w);
      writeOffsetFetchRequest(w, 8, { groups: [...named, { groupId: 'other', memberId: null, memberEpoch: -1, topics: null }], requireStable: false });
    });
    c.send((w) => {
      header(9, 8, 8, 2)(w);
      writeOffsetFetchRequest(w, 8, { groups: [partition0], requireStable: false });
    });
    const first = (await c.next())!;
    // Each of the 20,000 names answered with 64 partitions was 25 MB.
    expect(first.length).toBeLessThan(4096);
    const r = new KafkaReader(first);
    expect(r.int32()).toBe(7);
    r.skipTaggedFields();
    const groups = readOffsetFetchResponse(r, 8).groups;
    expect(groups.map((gr) => [gr.groupId, gr.errorCode, gr.topics.flatMap((t) => t.partitions).length])).toEqual([
      ['g-wide', 0, WIDE],
      ['other', 0, 0],
    ]);
    expect(groups[0].topics[0].partitions.map((p) => p.committedOffset)).toEqual(Array.from({ length: WIDE }, (_, p) => p));
    const second = (await c.next())!;
    expect(second.length).toBeLessThan(256);
    const s = new KafkaReader(second);
    expect(s.int32()).toBe(8);
    s.skipTaggedFields();
    expect(readOffsetFetchResponse(s, 8).groups[0].topics.map((t) => [t.name, t.partitions.map((p) => [p.partitionIndex, p.committedOffset])])).toEqual([['wide', [[3, 3]]]]);
    c.close();
  });

  it('answers a DeleteGroups naming a group many times once, deleting it once', async () => {
    // Each deletion writes the group's offsets away.
    const deletions = countCalls((g.gateway.backend as EmbeddedBackend).groupCoordinator, 'deleteGroup');
    try {
      const c = await RawClient.open(g.bootstrap);
      c.send((w) => {
        header(8, 2, 1)(w);
        writeOffsetCommitRequest(w, 2, {
          groupId: 'g-doomed',
          generationIdOrMemberEpoch: -1,
          memberId: '',
          retentionTimeMs: -1,
          topics: [{ name: 'wide', partitions: [{ partitionIndex: 0, committedOffset: 1, committedMetadata: '' }] }],
        });
      });
      await c.next();
      c.send((w) => {
        header(42, 2, 2, 2)(w);
        writeDeleteGroupsRequest(w, 2, { groupsNames: [...Array.from({ length: 2_000 }, () => 'g-doomed'), 'nobody'] });
      });
      const r = new KafkaReader((await c.next())!);
      expect(r.int32()).toBe(2);
      r.skipTaggedFields();
      const results = readDeleteGroupsResponse(r, 2).results;
      expect(results.map((x) => [x.groupId, x.errorCode])).toEqual([
        ['g-doomed', 0],
        ['nobody', 69],
      ]);
      expect(deletions.count()).toBe(1);
      c.close();
    } finally {
      deletions.restore();
    }
  });

  it('answers a DescribeGroups naming a group of members many times with the group once', async () => {
    const c = await RawClient.open(g.bootstrap);
    // A member whose subscription carries 16 KiB of user data, as any client may send.
    const metadata = Buffer.alloc(16 * 1024, 7);
    c.send((w) => {
      header(11, 5, 1)(w);
      writeJoinGroupRequest(w, 5, { groupId: 'g-members', sessionTimeoutMs: 30_000, rebalanceTimeoutMs: 30_000, memberId: '', protocolType: 'consumer', protocols: [{ name: 'range', metadata }] });
    });
    const j = new KafkaReader((await c.next())!);
    j.int32();
    const joined = readJoinGroupResponse(j, 5);
    expect(joined.errorCode).toBe(0);
    c.send((w) => {
      header(15, 4, 2)(w);
      writeDescribeGroupsRequest(w, 4, { groups: [...Array.from({ length: 2_000 }, () => 'g-members'), 'nobody'], includeAuthorizedOperations: false });
    });
    const frame = (await c.next())!;
    // Once per name, 2,000 names made 33 MB.
    expect(frame.length).toBeLessThan(metadata.length + 1024);
    const r = new KafkaReader(frame);
    expect(r.int32()).toBe(2);
    const described = readDescribeGroupsResponse(r, 4).groups;
    expect(described.map((d) => [d.groupId, d.members.map((m) => [m.memberId, m.memberMetadata.length])])).toEqual([
      ['g-members', [[joined.memberId, metadata.length]]],
      ['nobody', []],
    ]);
    c.close();
  });

  it('answers a ListOffsets naming a partition several times with INVALID_REQUEST for it, as Kafka does, without looking it up', async () => {
    // Each timestamp look-up reads a batch of the partition.
    const lookups = countCalls(g.gateway.backend as EmbeddedBackend, 'offsetForTimestamp');
    try {
      const c = await RawClient.open(g.bootstrap);
      const repeated = Array.from({ length: 20_000 }, () => ({ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: 0 }));
      c.send((w) => {
        header(2, 5, 3)(w);
        writeListOffsetsRequest(w, 5, { replicaId: -1, isolationLevel: 0, topics: [{ name: 'wide', partitions: [...repeated, { partitionIndex: 1, currentLeaderEpoch: -1, timestamp: 0 }] }] });
      });
      const r = new KafkaReader((await c.next())!);
      expect(r.int32()).toBe(3);
      const answered = readListOffsetsResponse(r, 5).topics[0].partitions;
      expect(answered).toHaveLength(20_001);
      expect(new Set(answered.slice(0, 20_000).map((p) => `${p.partitionIndex} ${p.errorCode} ${p.offset}`))).toEqual(new Set(['0 42 -1']));
      expect(answered[20_000]).toMatchObject({ partitionIndex: 1, errorCode: 0 });
      expect(lookups.count()).toBe(1);
      c.close();
    } finally {
      lookups.restore();
    }
  });

  it('answers a DescribeConfigs naming a topic 100,000 times (1.7 MB, the most entries a request may hold) without building an answer for each name', async () => {
    const c = await RawClient.open(g.bootstrap);
    const resources = Array.from({ length: MAX_REQUEST_ENTRIES }, () => ({ resourceType: 2, resourceName: 'otlp_spans', configurationKeys: null }));
    const rssBefore = process.memoryUsage().rss;
    let rssPeak = rssBefore;
    const sampler = setInterval(() => {
      rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
    }, 5);
    try {
      c.send((w) => {
        header(32, 1, 4)(w);
        writeDescribeConfigsRequest(w, 1, { resources, includeSynonyms: false });
      });
      const frame = (await c.next())!;
      rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
      const r = new KafkaReader(frame);
      expect(r.int32()).toBe(4);
      const results = readDescribeConfigsResponse(r, 1).results;
      // Each name is still answered, as Kafka does, with the topic's every config.
      expect(results).toHaveLength(MAX_REQUEST_ENTRIES);
      expect(new Set(results.map((d) => `${d.resourceName} ${d.errorCode} ${d.configs.length}`))).toEqual(new Set([`otlp_spans 0 ${results[0].configs.length}`]));
      expect(results[0].configs.length).toBeGreaterThan(3);
      // This process holds the client's request and the 17 MB answer too (120 MB in all seen); an answer built per name took 295 MB more.
      expect(rssPeak - rssBefore).toBeLessThan(250 * 1024 * 1024);
    } finally {
      clearInterval(sampler);
      c.close();
    }
  });
});

describe('an answer over kafka.max_request_bytes', () => {
  let g: KafkaGateway;
  beforeAll(async () => {
    g = await startKafkaGateway({ kafka: { max_request_bytes: '256KiB' } });
  }, 60_000);
  afterAll(() => g?.stop());

  const validate = (c: RawClient, correlationId: number, count: number) =>
    c.send((w) => {
      header(19, 5, correlationId, 2)(w);
      const topics = Array.from({ length: count }, (_, i) => ({ name: `t${i}`, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }));
      writeCreateTopicsRequest(w, 5, { topics, timeoutMs: 1000, validateOnly: true });
    });

  it('closes the connection that asked for it, encoding no more than the limit, counts it, and serves other clients', async () => {
    // Each topic validated is answered with its configs: 10,000 names (about 100 KB) ask for about 2 MB.
    const big = await RawClient.open(g.bootstrap);
    validate(big, 1, 10_000);
    expect(await big.next()).toBeNull();
    const text = await (await fetch(`${g.adminUrl}/metrics`)).text();
    expect(text).toContain('tributary_kafka_request_errors_total{api="CreateTopics",reason="response-too-large"} 1');
    const other = await RawClient.open(g.bootstrap);
    validate(other, 2, 10);
    const r = new KafkaReader((await other.next())!);
    expect(r.int32()).toBe(2);
    r.skipTaggedFields();
    const answered = readCreateTopicsResponse(r, 5).topics;
    expect(answered.map((t) => [t.name, t.errorCode])).toEqual(Array.from({ length: 10 }, (_, i) => [`t${i}`, 0]));
    expect(answered[0].configs!.length).toBeGreaterThan(0);
    other.close();
  });
});

describe('the Kafka listener holds every request but Produce to 8 MiB', () => {
  let g: KafkaGateway;
  beforeAll(async () => {
    g = await startKafkaGateway();
  }, 60_000);
  afterAll(() => g?.stop());

  it('closes the connection of a larger one before decoding it, counts it, and serves other clients', async () => {
    const big = await RawClient.open(g.bootstrap);
    // 1,000,000 unknown topic names, 10 MB: decoded, an object and a string each, gigabytes at 100 MiB.
    big.send((w) => {
      header(20, 4, 1, 2)(w);
      writeDeleteTopicsRequest(w, 4, { topics: [], topicNames: Array.from({ length: 1_000_000 }, (_, i) => `n${String(i).padStart(8, '0')}`), timeoutMs: 1000 });
    });
    expect(await big.next()).toBeNull();
    const text = await (await fetch(`${g.adminUrl}/metrics`)).text();
    expect(text).toContain('tributary_kafka_request_errors_total{api="DeleteTopics",reason="frame-too-large"} 1');
    const other = await RawClient.open(g.bootstrap);
    other.send((w) => {
      header(20, 4, 2, 2)(w);
      writeDeleteTopicsRequest(w, 4, { topics: [], topicNames: ['nobody'], timeoutMs: 1000 });
    });
    const r = new KafkaReader((await other.next())!);
    expect(r.int32()).toBe(2);
    r.skipTaggedFields();
    expect(readDeleteTopicsResponse(r, 4).responses.map((t) => [t.name, t.errorCode])).toEqual([['nobody', 3]]);
    other.close();
  });

  it('closes the connection of a request listing more than 100,000 entries before handling it, Produce too, counts it, and serves other clients', async () => {
    expect(MAX_REQUEST_ENTRIES).toBe(100_000);
    const names = Array.from({ length: MAX_REQUEST_ENTRIES + 1 }, (_, i) => `n${i.toString(36).padStart(5, '0')}`);
    // 0.8 MB of distinct unknown names: each deleted in turn, answered with its error (1.2 million took 700 MB and 30 s).
    const deleting = await RawClient.open(g.bootstrap);
    deleting.send((w) => {
      header(20, 5, 1, 2)(w);
      writeDeleteTopicsRequest(w, 5, { topics: [], topicNames: names, timeoutMs: 1000 });
    });
    expect(await deleting.next()).toBeNull();
    // Produce may take 100 MiB: as many empty partition entries in 0.8 MB, 12 million in 100 MiB.
    const producing = await RawClient.open(g.bootstrap);
    producing.send((w) => {
      header(0, 7, 1)(w);
      const partitionData = Array.from({ length: MAX_REQUEST_ENTRIES + 1 }, (_, index) => ({ index, records: null }));
      writeProduceRequest(w, 7, { transactionalId: null, acks: -1, timeoutMs: 1000, topicData: [{ name: 'otlp_spans', partitionData }] });
    });
    expect(await producing.next()).toBeNull();
    const text = await (await fetch(`${g.adminUrl}/metrics`)).text();
    expect(text).toContain('tributary_kafka_request_errors_total{api="DeleteTopics",reason="too-many-entries"} 1');
    expect(text).toContain('tributary_kafka_request_errors_total{api="Produce",reason="too-many-entries"} 1');
    const other = await RawClient.open(g.bootstrap);
    other.send((w) => {
      header(20, 5, 2, 2)(w);
      writeDeleteTopicsRequest(w, 5, { topics: [], topicNames: names.slice(0, 3), timeoutMs: 1000 });
    });
    const r = new KafkaReader((await other.next())!);
    expect(r.int32()).toBe(2);
    r.skipTaggedFields();
    expect(readDeleteTopicsResponse(r, 5).responses.map((t) => [t.name, t.errorCode])).toEqual(names.slice(0, 3).map((n) => [n, 3]));
    other.close();
  });
});
