import { CompressionTypes, type Consumer, Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tributary } from '../e2e/cli-process.js';
import { waitFor } from './group-member.js';
import type { EmbeddedBackend } from '../../src/log/embedded/embedded-backend.js';
import { countCalls, type KafkaGateway, startKafkaGateway, storedCodecs } from './helpers.js';
import { sendSpans, spanIdsOf } from './otlp-records.js';

const TOPIC = 'events_in';
const PARTITIONS = 4;

/** kafkajs 2.2.4 (npm), in this process, against a gateway from the real factory. */
describe('kafkajs against the Kafka listener', () => {
  let g: KafkaGateway;
  let kafka: Kafka;
  const consumers: Consumer[] = [];
  beforeAll(async () => {
    g = await startKafkaGateway({ partitions: PARTITIONS });
    kafka = new Kafka({ clientId: 'kafkajs-test', brokers: [g.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 3 } });
  }, 60_000);
  afterAll(async () => {
    await Promise.all(consumers.map((c) => c.disconnect()));
    await g?.stop();
  });

  const consumer = (groupId: string) => {
    const c = kafka.consumer({ groupId, sessionTimeout: 6_000, heartbeatInterval: 500, rebalanceTimeout: 10_000 });
    consumers.push(c);
    return c;
  };

  it('lists the topics and their partitions', async () => {
    const admin = kafka.admin();
    await admin.connect();
    const { topics } = await admin.fetchTopicMetadata({ topics: ['otlp_spans', TOPIC] });
    await admin.disconnect();
    // kafkajs lists them in no set order.
    expect(topics.map((t) => [t.name, t.partitions.length]).sort()).toEqual([
      [TOPIC, PARTITIONS],
      ['otlp_spans', PARTITIONS],
    ]);
  });

  it('consumes every span the OTLP receiver wrote, each record decoding alone as OTLP', async () => {
    const sent = await sendSpans(g.receiverUrl, 30, 4);
    const seen: string[] = [];
    const c = consumer('kafkajs-otlp');
    await c.connect();
    await c.subscribe({ topic: 'otlp_spans', fromBeginning: true });
    await c.run({
      eachMessage: async ({ message }) => {
        seen.push(...spanIdsOf(message.value!));
      },
    });
    await waitFor('every span', () => seen.length >= sent.length, () => `${seen.length} of ${sent.length}`);
    expect([...seen].sort()).toEqual([...sent].sort());
  });

  it('produces with acks=-1 and gzip records that `tributary tail` reads back', async () => {
    const producer = kafka.producer();
    await producer.connect();
    const values = Array.from({ length: 100 }, (_, i) => `kafkajs-${i}`);
    await producer.send({ topic: TOPIC, acks: -1, compression: CompressionTypes.GZIP, messages: values.map((value) => ({ value, partition: 3 })) });
    await producer.disconnect();
    expect(await storedCodecs(g, TOPIC, 3)).toContain(1);
    const tail = await tributary(['tail', TOPIC, '--partition', '3', '--from-beginning', '--once', '--json', '--admin', g.adminUrl]);
    expect(tail.code, tail.stderr).toBe(0);
    const read = tail.stdout
      .trim()
      .split('\n')
      .map((l) => Buffer.from(JSON.parse(l).value, 'base64').toString());
    expect(read.filter((v) => v.startsWith('kafkajs-'))).toEqual(values);
  });

  it('splits the partitions between two members as the admin API shows them, rebalances when one leaves, loses nothing, and commits offsets the admin API shows', async () => {
    const group = 'kafkajs-pair';
    const producer = kafka.producer();
    await producer.connect();
    let produced = 0;
    const produce = async (n: number) => {
      const messages = Array.from({ length: n }, () => {
        const i = produced++;
        return { value: `pair-${i}`, partition: i % PARTITIONS };
      });
      await producer.send({ topic: TOPIC, acks: -1, messages });
    };
    const got = new Map<string, Set<string>>();
    const assigned = new Map<string, number[]>();
    const member = async (name: string) => {
      const c = consumer(group);
      got.set(name, new Set());
      c.on(c.events.GROUP_JOIN, (e) => assigned.set(name, [...(e.payload.memberAssignment[TOPIC] ?? [])].sort()));
      await c.connect();
      await c.subscribe({ topic: TOPIC, fromBeginning: true });
      await c.run({
        eachMessage: async ({ message }) => {
          const v = message.value!.toString();
          if (v.startsWith('pair-')) got.get(name)!.add(v);
        },
      });
      return c;
    };
    const all = () => new Set([...got.values()].flatMap((s) => [...s]));
    const detail = () => JSON.stringify({ assigned: [...assigned], got: [...got].map(([k, v]) => [k, v.size]) });

    await produce(200);
    await member('a');
    await waitFor('member a to own every partition', () => assigned.get('a')?.length === PARTITIONS, detail);
    const b = await member('b');
    await waitFor('a and b to split the partitions', () => assigned.get('a')?.length === 2 && assigned.get('b')?.length === 2, detail);
    expect([...assigned.get('a')!, ...assigned.get('b')!].sort()).toEqual([0, 1, 2, 3]);
    // The admin API shows each member with the partitions its client was given.
    const described = (await (await fetch(`${g.adminUrl}/api/v1/groups/${group}`)).json()) as { members: { assignment: { topic: string; partition: number }[] }[] };
    const shown = described.members.map((m) => m.assignment.filter((tp) => tp.topic === TOPIC).map((tp) => tp.partition).sort());
    expect(shown.sort()).toEqual([assigned.get('a'), assigned.get('b')].sort());
    await produce(200);
    await waitFor('every record so far', () => all().size === 400, detail);

    await b.disconnect();
    await waitFor('member a to own every partition again', () => assigned.get('a')?.length === PARTITIONS, detail);
    await produce(200);
    await waitFor('every record', () => all().size === 600, detail);
    await producer.disconnect();

    await waitFor(
      'the admin API to show the group with no lag',
      async () => {
        const res = await fetch(`${g.adminUrl}/api/v1/groups/${group}`);
        if (!res.ok) return false;
        const body = (await res.json()) as { partitions: { topic: string; lag: number | null }[] };
        const mine = body.partitions.filter((p) => p.topic === TOPIC);
        return mine.length === PARTITIONS && mine.every((p) => p.lag === 0);
      },
      detail,
    );
  }, 120_000);

  /** The committed offset of each partition of `topic` in `group`, as /api/v1/groups shows it. */
  const committedInAdminApi = async (group: string, topic: string) => {
    const body = (await (await fetch(`${g.adminUrl}/api/v1/groups/${group}`)).json()) as { partitions: { topic: string; partition: number; committedOffset: number }[] };
    return body.partitions.filter((p) => p.topic === topic).map((p) => [p.partition, p.committedOffset]);
  };

  it('resets a group to the earliest and the latest offsets (admin resetOffsets), as fetchOffsets and the admin API show', async () => {
    // kafkajs commits -2 (earliest) or -1 (latest) itself for a reset: the listener resolves them
    // to the log start and the high watermark, so every reader of the group sees a real offset.
    const topic = 'otlp_logs';
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, acks: -1, messages: Array.from({ length: 5 }, (_, i) => ({ value: `reset-${i}`, partition: i % 2 })) });
    await producer.disconnect();
    const admin = kafka.admin();
    await admin.connect();
    const ends = Object.fromEntries((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, Number(p.high)]));
    const offsets = async () => (await admin.fetchOffsets({ groupId: 'kafkajs-reset', topics: [topic] }))[0].partitions.map((p) => [p.partition, Number(p.offset)]).sort();
    await admin.resetOffsets({ groupId: 'kafkajs-reset', topic, earliest: true });
    const earliest = Array.from({ length: PARTITIONS }, (_, p) => [p, 0]);
    expect(await offsets()).toEqual(earliest);
    expect(await committedInAdminApi('kafkajs-reset', topic)).toEqual(earliest);
    await admin.resetOffsets({ groupId: 'kafkajs-reset', topic, earliest: false });
    const latest = Array.from({ length: PARTITIONS }, (_, p) => [p, ends[p]]);
    expect(await offsets()).toEqual(latest);
    expect(await committedInAdminApi('kafkajs-reset', topic)).toEqual(latest);
    await admin.disconnect();
  });

  it('a consumer whose committed offset is past the end resets to the earliest and reads everything, without crashing', async () => {
    const topic = 'otlp_metrics';
    const producer = kafka.producer();
    await producer.connect();
    const values = Array.from({ length: 8 }, (_, i) => `past-${i}`);
    await producer.send({ topic, acks: -1, messages: values.map((value, i) => ({ value, partition: i % PARTITIONS })) });
    await producer.disconnect();
    const admin = kafka.admin();
    await admin.connect();
    await admin.setOffsets({ groupId: 'kafkajs-past', topic, partitions: Array.from({ length: PARTITIONS }, (_, partition) => ({ partition, offset: '100000' })) });
    await admin.disconnect();
    const seen: string[] = [];
    let crashed = '';
    const c = consumer('kafkajs-past');
    c.on(c.events.CRASH, (e) => (crashed = String(e.payload.error)));
    await c.connect();
    await c.subscribe({ topic, fromBeginning: true });
    await c.run({ eachMessage: async ({ message }) => void seen.push(message.value!.toString()) });
    await waitFor('every record after the reset', () => seen.length >= values.length || crashed !== '', () => JSON.stringify({ seen, crashed }));
    expect(crashed).toBe('');
    expect(seen.sort()).toEqual(values);
  });

  it('describes a group that only stores offsets, named 2,000 times in one DescribeGroups (admin describeGroups), once, not once per name', async () => {
    const group = 'kafkajs-described-often';
    const admin = kafka.admin();
    await admin.connect();
    // A group that only stores offsets (as a pipeline's, or one reset through the admin API) is
    // described with its topics' offsets, read from the leaders' shared memory.
    const reset = await fetch(`${g.adminUrl}/api/v1/groups/${group}/offsets`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ to: 'earliest', topics: [TOPIC] }) });
    expect(reset.status).toBe(200);
    // Counts the reads of its topic's offsets (the real method runs): a description made once per
    // name, 200,000 names (a 2.8 MB request) held 3.4 GB and the main thread for 80 s.
    const offsetReads = countCalls(g.gateway.backend as EmbeddedBackend, 'describeTopicLayout');
    try {
      const { groups } = await admin.describeGroups(Array.from({ length: 2_000 }, () => group));
      // Answered once too: each name's copy of the same description made the answer grow with the names.
      expect(groups.map((d) => `${d.groupId} ${d.state}`)).toEqual([`${group} Empty`]);
      expect(offsetReads.count()).toBe(1);
    } finally {
      offsetReads.restore();
      await admin.disconnect();
    }
  });
});
