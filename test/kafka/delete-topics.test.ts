/**
 * Runs on: main thread (tests). DeleteTopics (API key 20) on the Kafka listener, with the clients
 * users delete topics with: kafkajs admin.deleteTopics, @platformatic/kafka Admin.deleteTopics,
 * confluent-kafka AdminClient.delete_topics (librdkafka) and kafka-python delete_topics, each
 * against a gateway from the real factory. A deleted topic is gone with its records; created
 * again, it is empty at offset 0 with a new topic id; the gateway's own topics are refused.
 */
import { Admin } from '@platformatic/kafka';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes, randomUUID } from 'node:crypto';
import { writeDeleteTopicsRequest } from '../../src/kafka/messages/delete-topics-request.js';
import { readDeleteTopicsResponse } from '../../src/kafka/messages/delete-topics-response.js';
import { writeFetchRequest } from '../../src/kafka/messages/fetch-request.js';
import { readFetchResponse } from '../../src/kafka/messages/fetch-response.js';
import { KafkaReader } from '../../src/kafka/protocol/reader.js';
import type { EmbeddedBackend } from '../../src/log/embedded/embedded-backend.js';
import { clientAvailable, type KafkaGateway, PYTHON, run, startKafkaGateway } from './helpers.js';
import { header, RawClient } from './raw-client.js';

const ZERO_ID = Buffer.alloc(16);

/** One DeleteTopics request of `version` on a raw connection: each entry's answer as [name, id, error code, message]. */
async function rawDeleteTopics(bootstrap: string, version: number, topics: { name: string | null; topicId?: Buffer }[]) {
  const c = await RawClient.open(bootstrap);
  try {
    c.send((w) => {
      header(20, version, 1, version >= 4 ? 2 : 1)(w);
      writeDeleteTopicsRequest(w, version, version >= 6 ? { topics, timeoutMs: 5000 } : { topicNames: topics.map((t) => t.name as string), timeoutMs: 5000 });
    });
    const r = new KafkaReader((await c.next())!);
    r.int32();
    if (version >= 4) r.skipTaggedFields();
    return readDeleteTopicsResponse(r, version).responses.map((t) => [t.name, t.topicId?.toString('hex') ?? '', t.errorCode, t.errorMessage ?? null]);
  } finally {
    c.close();
  }
}

const SCRIPT = new URL('./clients/delete_topics.py', import.meta.url).pathname;

describe('DeleteTopics on the Kafka listener', () => {
  let g: KafkaGateway;
  let kafka: Kafka;
  beforeAll(async () => {
    g = await startKafkaGateway({
      topics: { watched: { partitions: 1 } },
      pipelines: [{ group: 'watchers', topics: ['watched'], sink: { type: 'debug' } }],
    });
    kafka = new Kafka({ clientId: 'kafkajs-delete', brokers: [g.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 0 } });
  }, 60_000);
  afterAll(async () => {
    await g?.stop();
  });
  const backend = () => g.gateway.backend as EmbeddedBackend;
  const topicNames = async () => ((await (await fetch(`${g.adminUrl}/api/v1/topics`)).json()) as { topics: { name: string }[] }).topics.map((t) => t.name);

  it('kafkajs: deletes a topic it created and wrote; created again, the topic is empty and a consumer reads only the new records', async () => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic: 'kjs-scratch', numPartitions: 2 }] });
      const producer = kafka.producer();
      await producer.connect();
      await producer.send({ topic: 'kjs-scratch', acks: -1, messages: [{ value: 'old-0', partition: 0 }, { value: 'old-1', partition: 1 }] });

      await admin.deleteTopics({ topics: ['kjs-scratch'] });
      expect(await admin.listTopics()).not.toContain('kjs-scratch');
      expect(await topicNames()).not.toContain('kjs-scratch');

      await admin.createTopics({ topics: [{ topic: 'kjs-scratch', numPartitions: 1 }] });
      expect((await admin.fetchTopicOffsets('kjs-scratch')).map((p) => [p.partition, p.low, p.high])).toEqual([[0, '0', '0']]);
      await producer.send({ topic: 'kjs-scratch', acks: -1, messages: [{ value: 'new', partition: 0 }] });
      await producer.disconnect();
      const { records } = (await (await fetch(`${g.adminUrl}/api/v1/topics/kjs-scratch/records`)).json()) as { records: { offset: number; value: string }[] };
      expect(records.map((r) => [r.offset, Buffer.from(r.value, 'base64').toString()])).toEqual([[0, 'new']]);
    } finally {
      await admin.disconnect();
    }
  });

  it("kafkajs: the receiver's topics and a pipeline's are refused with POLICY_VIOLATION; an unknown topic is UNKNOWN_TOPIC_OR_PARTITION", async () => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      const refusal = async (topic: string) => {
        const err = await admin.deleteTopics({ topics: [topic] }).then(
          () => undefined,
          (e: { type?: string; name: string; cause?: { type?: string } }) => e,
        );
        // kafkajs retries an unknown topic (as Kafka answers it too), then wraps the last answer.
        return err?.type ?? err?.cause?.type ?? err?.name;
      };
      expect(await refusal('otlp_spans')).toBe('POLICY_VIOLATION');
      expect(await refusal('watched')).toBe('POLICY_VIOLATION');
      expect(await refusal('never-made')).toBe('UNKNOWN_TOPIC_OR_PARTITION');
      expect(await topicNames()).toEqual(expect.arrayContaining(['otlp_spans', 'watched']));
    } finally {
      await admin.disconnect();
    }
  });

  it('kafkajs idempotent producer: its topic created again with as many partitions, it writes on; with fewer, kafkajs repeats sequences (OUT_OF_ORDER_SEQUENCE_NUMBER) until a new producer takes over', async () => {
    const admin = kafka.admin();
    await admin.connect();
    // kafkajs wants retries for an idempotent producer: its own client (the suite's retries nothing).
    const client = new Kafka({ clientId: 'kafkajs-idempotent', brokers: [g.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 2 } });
    const producers = [client.producer({ idempotent: true, maxInFlightRequests: 1 })];
    try {
      const spread = (tag: string) => ['a', 'b', 'c', 'd'].map((key) => ({ key, value: `${tag}-${key}` }));
      const send = (tag: string) => producers[producers.length - 1].send({ topic: 'kjs-idem', acks: -1, messages: spread(tag) });
      const stored = async () => {
        const layout = await admin.fetchTopicOffsets('kjs-idem');
        const values = await Promise.all(layout.map(async (p) => (await backend().fetch({ topic: 'kjs-idem', partition: p.partition, offset: 0, maxBytes: 1 << 20 })).records));
        return values.flat().map((r) => r.value?.toString());
      };
      await admin.createTopics({ topics: [{ topic: 'kjs-idem', numPartitions: 2 }] });
      await producers[0].connect();
      await send('first');
      await send('second');

      // As many partitions: a new topic has no producer state, and the producer's next sequences are taken.
      await admin.deleteTopics({ topics: ['kjs-idem'] });
      await admin.createTopics({ topics: [{ topic: 'kjs-idem', numPartitions: 2 }] });
      await send('third');
      expect((await stored()).sort()).toEqual(spread('third').map((m) => m.value).sort());

      // Fewer: its first send reaches the partition left (stored) and the one gone (refused); kafkajs
      // then takes back the sequences of both, so every later batch to partition 0 repeats sequences
      // stored already, refused as Kafka refuses them.
      await admin.deleteTopics({ topics: ['kjs-idem'] });
      await admin.createTopics({ topics: [{ topic: 'kjs-idem', numPartitions: 1 }] });
      for (const tag of ['fourth', 'fifth']) {
        await expect(send(tag)).rejects.toMatchObject({ type: 'OUT_OF_ORDER_SEQUENCE_NUMBER' });
      }
      // A new producer (a new producer id) writes; reconnecting the old one does not reset it.
      producers.push(client.producer({ idempotent: true, maxInFlightRequests: 1 }));
      await producers[1].connect();
      await send('sixth');
      expect((await stored()).filter((v) => v?.startsWith('sixth'))).toEqual(spread('sixth').map((m) => m.value));
    } finally {
      await Promise.all(producers.map((p) => p.disconnect()));
      await admin.disconnect();
    }
  });

  it('@platformatic/kafka (DeleteTopics v6): deletes a topic, and the one created again under its name has a new topic id', async () => {
    const admin = new Admin({ clientId: 'platformatic-delete', bootstrapBrokers: [g.bootstrap] });
    try {
      await admin.createTopics({ topics: ['pf-scratch'], partitions: 1, replicas: 1 });
      const before = (await admin.metadata({ topics: ['pf-scratch'] })).topics.get('pf-scratch')?.id;
      await backend().produce('pf-scratch', 0, [{ value: Buffer.from('old') }]);
      await admin.deleteTopics({ topics: ['pf-scratch'] });
      expect(backend().partitionCount('pf-scratch')).toBeUndefined();
      await admin.createTopics({ topics: ['pf-scratch'], partitions: 1, replicas: 1 });
      const after = (await admin.metadata({ topics: ['pf-scratch'], forceUpdate: true })).topics.get('pf-scratch')?.id;
      expect(before).toMatch(/^[0-9a-f-]{36}$/);
      expect(after).toMatch(/^[0-9a-f-]{36}$/);
      expect(after).not.toBe(before);
      expect((await backend().describeTopic('pf-scratch')).partitions[0].highWatermark).toBe(0);
      const refused = await admin.deleteTopics({ topics: ['otlp_logs'] }).then(
        () => undefined,
        (e: { errors: Error[] }) => e,
      );
      expect(refused?.errors.map((e) => e.message)).toEqual(['Request parameters do not satisfy the configured policy.']);
    } finally {
      await admin.close();
    }
  });

  for (const [client, module] of [
    ['confluent', 'confluent_kafka'],
    ['kafka-python', 'kafka'],
  ] as const) {
    const available = clientAvailable(PYTHON, ['-c', `import ${module}`], `python3-${module === 'kafka' ? 'kafka' : 'confluent-kafka'}`);
    it.runIf(available)(`${client}: deletes a topic; the gateway's own topics and unknown ones are refused as the client reports them`, async () => {
      const topic = `${client.replace('-', '_')}_scratch`;
      await backend().createTopic({ name: topic, partitions: 2 });
      await backend().produce(topic, 0, [{ value: Buffer.from('x') }]);
      const { code, stdout, stderr } = await run(PYTHON, [SCRIPT, client, g.bootstrap, topic, 'otlp_metrics', 'watched', 'never_made']);
      expect(code, stderr).toBe(0);
      const out = JSON.parse(stdout.toString());
      expect(out[topic]).toBe('deleted');
      expect(await topicNames()).not.toContain(topic);
      if (client === 'confluent') {
        // librdkafka 2.0.2 sends DeleteTopics v1, whose answer has no message: only the code reaches it.
        expect(out.otlp_metrics.error).toBe('POLICY_VIOLATION');
        expect(out.watched.error).toBe('POLICY_VIOLATION');
        expect(out.never_made.error).toBe('UNKNOWN_TOPIC_OR_PART');
      } else {
        expect(out.otlp_metrics.error).toBe('PolicyViolationError');
        expect(out.watched.error).toBe('PolicyViolationError');
        expect(out.never_made.error).toBe('UnknownTopicOrPartitionError');
      }
    });
  }

  it('DeleteTopics v6: an entry with both a name and an id, or with neither, is INVALID_REQUEST and deletes nothing, as Kafka answers it; the other entries are deleted', async () => {
    const admin = new Admin({ clientId: 'raw-delete-ids', bootstrapBrokers: [g.bootstrap] });
    try {
      for (const t of ['named-one', 'other-one', 'plain-one']) await backend().createTopic({ name: t, partitions: 1 });
      const otherId = (await admin.metadata({ topics: ['other-one'] })).topics.get('other-one')!.id;
      const otherIdBytes = Buffer.from(otherId.replaceAll('-', ''), 'hex');
      const answers = await rawDeleteTopics(g.bootstrap, 6, [
        { name: 'named-one', topicId: otherIdBytes },
        { name: null, topicId: ZERO_ID },
        { name: 'plain-one', topicId: ZERO_ID },
      ]);
      expect(answers).toEqual([
        ['named-one', otherIdBytes.toString('hex'), 42, expect.stringMatching(/both a topic name and a topic id/)],
        [null, ZERO_ID.toString('hex'), 42, expect.stringMatching(/neither a topic name nor a topic id/)],
        ['plain-one', expect.stringMatching(/^(?!0{32})[0-9a-f]{32}$/), 0, null],
      ]);
      const names = await topicNames();
      expect(names).toEqual(expect.arrayContaining(['named-one', 'other-one']));
      expect(names).not.toContain('plain-one');
    } finally {
      await admin.close();
    }
  });

  it('DeleteTopics: a topic given twice (its name twice, its id twice, or its name and its id) is answered once with INVALID_REQUEST and not deleted, as Kafka answers it', async () => {
    const admin = new Admin({ clientId: 'raw-delete-twice', bootstrapBrokers: [g.bootstrap] });
    try {
      for (const t of ['twice-name', 'twice-id', 'twice-both', 'once-only']) await backend().createTopic({ name: t, partitions: 1 });
      const meta = await admin.metadata({ topics: ['twice-id', 'twice-both'] });
      const idOf = (t: string) => Buffer.from(meta.topics.get(t)!.id.replaceAll('-', ''), 'hex');
      expect(await rawDeleteTopics(g.bootstrap, 1, [{ name: 'twice-name' }, { name: 'twice-name' }])).toEqual([['twice-name', ZERO_ID.toString('hex'), 42, null]]);
      const answers = await rawDeleteTopics(g.bootstrap, 6, [
        { name: null, topicId: idOf('twice-id') },
        { name: 'twice-name', topicId: ZERO_ID },
        { name: null, topicId: idOf('twice-both') },
        { name: 'twice-name', topicId: ZERO_ID },
        { name: 'twice-both', topicId: ZERO_ID },
        { name: null, topicId: idOf('twice-id') },
        { name: 'once-only', topicId: ZERO_ID },
      ]);
      expect(answers).toEqual(
        expect.arrayContaining([
          [null, idOf('twice-id').toString('hex'), 42, expect.stringMatching(/twice/)],
          ['twice-name', ZERO_ID.toString('hex'), 42, expect.stringMatching(/twice/)],
          ['twice-both', idOf('twice-both').toString('hex'), 42, expect.stringMatching(/twice/)],
          ['once-only', expect.stringMatching(/^[0-9a-f]{32}$/), 0, null],
        ]),
      );
      expect(answers).toHaveLength(4);
      const names = await topicNames();
      expect(names).toEqual(expect.arrayContaining(['twice-name', 'twice-id', 'twice-both']));
      expect(names).not.toContain('once-only');
    } finally {
      await admin.close();
    }
  });

  it('a DeleteTopics naming 5,000 unknown topic ids, or a Fetch naming 5,000 topics by unknown ids, reads the topic ids from the log once, not once per id', async () => {
    const log = backend();
    let listings = 0;
    const listTopics = log.listTopics.bind(log);
    // Counts the listings (the real method runs). Once per id, a Fetch naming 20,000 (0.8 MB) took
    // 9 s and 600 MB, and a 100 MiB frame could exhaust memory.
    log.listTopics = async () => {
      listings++;
      return listTopics();
    };
    try {
      const ids = Array.from({ length: 5_000 }, () => randomBytes(16));
      const deleted = await rawDeleteTopics(
        g.bootstrap,
        6,
        ids.map((topicId) => ({ name: null, topicId })),
      );
      expect(new Set(deleted.map((d) => d[2]))).toEqual(new Set([100]));
      expect(deleted).toHaveLength(5_000);
      expect(listings).toBeLessThanOrEqual(1);

      listings = 0;
      const c = await RawClient.open(g.bootstrap);
      try {
        const topics = Array.from({ length: 5_000 }, () => ({ topic: randomUUID(), partitions: [{ partition: 0, fetchOffset: 0, partitionMaxBytes: 100 }] }));
        c.send((w) => {
          header(1, 4, 1)(w);
          writeFetchRequest(w, 4, { replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1000, isolationLevel: 0, topics });
        });
        const r = new KafkaReader((await c.next())!);
        r.int32();
        const fetched = readFetchResponse(r, 4).responses;
        expect(fetched).toHaveLength(5_000);
        expect(new Set(fetched.map((t) => t.partitions[0].errorCode))).toEqual(new Set([3]));
      } finally {
        c.close();
      }
      expect(listings).toBeLessThanOrEqual(1);
    } finally {
      Reflect.deleteProperty(log, 'listTopics');
    }
  });
});
