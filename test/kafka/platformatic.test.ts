import { Admin, Consumer, Producer, stringDeserializers, stringSerializers } from '@platformatic/kafka';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tributary } from '../e2e/cli-process.js';
import { waitFor } from './group-member.js';
import { type KafkaGateway, startKafkaGateway, storedCodecs } from './helpers.js';
import { sendSpans, spanIdsOf } from './otlp-records.js';

const TOPIC = 'events_in';
const PARTITIONS = 4;

/** @platformatic/kafka 1.x (npm), which speaks only flexible versions, in this process. */
describe('@platformatic/kafka against the Kafka listener', () => {
  let g: KafkaGateway;
  const closers: (() => Promise<unknown>)[] = [];
  beforeAll(async () => {
    g = await startKafkaGateway({ partitions: PARTITIONS });
  }, 60_000);
  afterAll(async () => {
    for (const close of closers.reverse()) await close().catch(() => {});
    await g?.stop();
  });

  const consumer = (groupId: string, clientId: string) => {
    const c = new Consumer({ groupId, clientId, bootstrapBrokers: [g.bootstrap], deserializers: stringDeserializers, sessionTimeout: 6_000, heartbeatInterval: 500 });
    closers.push(async () => c.close(true));
    return c;
  };

  it('lists the topics and their partitions (Metadata v12)', async () => {
    const admin = new Admin({ clientId: 'platformatic-admin', bootstrapBrokers: [g.bootstrap] });
    const metadata = await admin.metadata({ topics: ['otlp_spans', TOPIC] });
    await admin.close();
    expect([...metadata.topics.keys()].sort()).toEqual(['events_in', 'otlp_spans']);
    expect(metadata.topics.get(TOPIC)?.partitionsCount).toBe(PARTITIONS);
  });

  it('consumes every span the OTLP receiver wrote, each record decoding alone as OTLP', async () => {
    const sent = await sendSpans(g.receiverUrl, 20, 3);
    const c = new Consumer({ groupId: 'platformatic-otlp', clientId: 'platformatic-otlp', bootstrapBrokers: [g.bootstrap], sessionTimeout: 6_000, heartbeatInterval: 500 });
    closers.push(async () => c.close(true));
    const stream = await c.consume({ topics: ['otlp_spans'], mode: 'earliest', autocommit: true });
    const seen: string[] = [];
    for await (const message of stream) {
      seen.push(...spanIdsOf(message.value as Buffer));
      if (seen.length >= sent.length) break;
    }
    expect([...seen].sort()).toEqual([...sent].sort());
  });

  it('produces with acks=-1 and gzip (Produce v9) records that `tributary tail` reads back', async () => {
    const producer = new Producer({ clientId: 'platformatic-producer', bootstrapBrokers: [g.bootstrap], serializers: stringSerializers, acks: -1, compression: 'gzip' });
    const values = Array.from({ length: 50 }, (_, i) => `platformatic-${i}`);
    await producer.send({ messages: values.map((value) => ({ topic: TOPIC, value, partition: 2 })) });
    await producer.close();
    expect(await storedCodecs(g, TOPIC, 2)).toContain(1);
    const tail = await tributary(['tail', TOPIC, '--partition', '2', '--from-beginning', '--once', '--json', '--admin', g.adminUrl]);
    expect(tail.code, tail.stderr).toBe(0);
    const read = tail.stdout
      .trim()
      .split('\n')
      .map((l) => Buffer.from(JSON.parse(l).value, 'base64').toString());
    expect(read.filter((v) => v.startsWith('platformatic-'))).toEqual(values);
  });

  it('splits the partitions between two members, rebalances when one leaves, and loses nothing', async () => {
    const group = 'platformatic-pair';
    const producer = new Producer({ clientId: 'platformatic-pair-producer', bootstrapBrokers: [g.bootstrap], serializers: stringSerializers, acks: -1 });
    closers.push(() => producer.close());
    let produced = 0;
    const produce = async (n: number) => {
      const messages = Array.from({ length: n }, () => {
        const i = produced++;
        return { topic: TOPIC, value: `pair-${i}`, partition: i % PARTITIONS };
      });
      await producer.send({ messages });
    };
    const got = new Set<string>();
    const partitionsOf = (c: { assignments: { topic: string; partitions: number[] }[] | null }) => c.assignments?.find((a) => a.topic === TOPIC)?.partitions.length ?? 0;
    const start = async (name: string) => {
      const c = consumer(group, name);
      const stream = await c.consume({ topics: [TOPIC], mode: 'earliest', autocommit: true });
      stream.on('data', (m) => {
        const v = String(m.value);
        if (v.startsWith('pair-')) got.add(v);
      });
      return c;
    };
    const detail = () => `${got.size} records`;

    await produce(200);
    const a = await start('member-a');
    await waitFor('member-a to own every partition', () => partitionsOf(a) === PARTITIONS, detail);
    const b = await start('member-b');
    await waitFor('the two members to split the partitions', () => partitionsOf(a) === 2 && partitionsOf(b) === 2, detail);
    await produce(200);
    await waitFor('every record so far', () => got.size === 400, detail);
    await b.close(true);
    await waitFor('member-a to own every partition again', () => partitionsOf(a) === PARTITIONS, detail);
    await produce(200);
    await waitFor('every record', () => got.size === 600, detail);
  }, 120_000);
});
