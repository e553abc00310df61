import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeProduceRequest } from '../../src/kafka/messages/produce-request.js';
import { readProduceResponse } from '../../src/kafka/messages/produce-response.js';
import { KafkaReader } from '../../src/kafka/protocol/reader.js';
import type { EmbeddedBackend } from '../../src/log/embedded/embedded-backend.js';
import { encodeRecordBatch, sealBatch } from '../../src/log/record-batch.js';
import { tributary } from '../e2e/cli-process.js';
import { clientAvailable, type KafkaGateway, PYTHON, run, startKafkaGateway } from './helpers.js';
import { header, RawClient } from './raw-client.js';

const HOUR = 3_600_000;
const YEAR_2100 = 4_102_444_800_000;

interface PartitionJson {
  logStartOffset: number;
  highWatermark: number;
}

async function partition0(g: KafkaGateway, topic: string): Promise<PartitionJson> {
  const res = await fetch(`${g.adminUrl}/api/v1/topics/${topic}`);
  return ((await res.json()) as { partitions: PartitionJson[] }).partitions[0];
}

async function createTopic(g: KafkaGateway, name: string, retentionMs = HOUR): Promise<void> {
  const res = await fetch(`${g.adminUrl}/api/v1/topics`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name, partitions: 1, segmentBytes: 1024, retentionMs }),
  });
  expect(res.status).toBe(201);
}

/**
 * Retention by age and timestamp look-ups go by the records' own timestamps (CreateTime), which
 * Kafka producers set. A producer whose clock (or code) is wrong must not stop retention or
 * mislead look-ups for everyone else on the partition. kafkajs 2.2.4, in this process.
 */
describe('record timestamps from Kafka producers', () => {
  let g: KafkaGateway;
  let kafka: Kafka;
  beforeAll(async () => {
    g = await startKafkaGateway({ partitions: 1, log: { retention_check_interval: '1h' } });
    kafka = new Kafka({ clientId: 'timestamps-test', brokers: [g.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 0 } });
  }, 60_000);
  afterAll(() => g?.stop());

  it('refuses a record stamped in the year 2100 (INVALID_TIMESTAMP), which would hold back the retention of every record after it', async () => {
    await createTopic(g, 'future');
    const producer = kafka.producer();
    await producer.connect();
    try {
      const refused = await producer.send({ topic: 'future', acks: -1, messages: [{ value: 'from the future', timestamp: String(YEAR_2100) }] }).catch((err: Error) => err);
      expect(refused).toBeInstanceOf(Error);
      expect((refused as Error & { type?: string }).type).toBe('INVALID_TIMESTAMP');
      // Records two hours old, past the topic's retention of an hour, a segment (1 KiB) each.
      const old = Date.now() - 2 * HOUR;
      for (let i = 0; i < 5; i++) await producer.send({ topic: 'future', acks: -1, messages: [{ value: 'x'.repeat(900), timestamp: String(old + i) }] });
    } finally {
      await producer.disconnect();
    }
    await (g.gateway.backend as EmbeddedBackend).enforceRetention();
    // Every segment but the active one (the last record's) is past retention.
    expect(await partition0(g, 'future')).toMatchObject({ logStartOffset: 4, highWatermark: 5 });
  });

  it('takes a record stamped less than an hour ahead, as Kafka does (message.timestamp.after.max.ms)', async () => {
    await createTopic(g, 'fast_clock');
    const producer = kafka.producer();
    await producer.connect();
    try {
      await producer.send({ topic: 'fast_clock', acks: -1, messages: [{ value: 'a little fast', timestamp: String(Date.now() + HOUR / 2) }] });
    } finally {
      await producer.disconnect();
    }
    expect(await partition0(g, 'fast_clock')).toMatchObject({ logStartOffset: 0, highWatermark: 1 });
  });

  it("keeps and finds a record by its own timestamp when the batch header's max timestamp is wrong, as kafkajs writes it for timestamps of 12 and 13 digits", async () => {
    await createTopic(g, 'header_max');
    const now = Date.now();
    const producer = kafka.producer();
    await producer.connect();
    try {
      // kafkajs sorts the timestamps as text: its header claims 1998 (900000000000) as the batch's largest.
      await producer.send({ topic: 'header_max', acks: -1, messages: [{ value: 'now', timestamp: String(now) }, { value: 'backfilled', timestamp: '900000000000' }] });
      // Later records roll that segment (1 KiB) away from the active one.
      for (let i = 0; i < 3; i++) await producer.send({ topic: 'header_max', acks: -1, messages: [{ value: 'x'.repeat(900) }] });
    } finally {
      await producer.disconnect();
    }
    const admin = kafka.admin();
    await admin.connect();
    try {
      const [found] = await admin.fetchTopicOffsetsByTimestamp('header_max', now - 1000);
      expect(found).toMatchObject({ partition: 0, offset: '0' });
    } finally {
      await admin.disconnect();
    }
    // Within the topic's hour of retention: the record stamped now must not go with the 1998 one.
    await (g.gateway.backend as EmbeddedBackend).enforceRetention();
    expect(await partition0(g, 'header_max')).toMatchObject({ logStartOffset: 0, highWatermark: 5 });
  });

  it('refuses a batch that claims LogAppendTime (INVALID_TIMESTAMP), which only a broker sets, as Kafka does', async () => {
    await createTopic(g, 'append_time');
    const batch = encodeRecordBatch([{ value: Buffer.from('a'), timestamp: Date.now() - 1000 }]);
    batch.writeInt16BE(0x08, 21); // attributes: LogAppendTime
    sealBatch(batch, 0, batch.length);
    const c = await RawClient.open(g.bootstrap);
    c.send((w) => {
      header(0, 7, 3)(w);
      writeProduceRequest(w, 7, { acks: -1, timeoutMs: 5000, topicData: [{ name: 'append_time', partitionData: [{ index: 0, records: batch }] }] });
    });
    const r = new KafkaReader((await c.next())!);
    expect(r.int32()).toBe(3);
    c.close();
    expect(readProduceResponse(r, 7).responses[0].partitionResponses[0].errorCode).toBe(32);
    expect(await partition0(g, 'append_time')).toMatchObject({ highWatermark: 0 });
  });

  const python = clientAvailable(PYTHON, ['-c', 'import kafka'], 'python3-kafka');
  it.runIf(python)('`tributary tail` prints a record stamped before any date (kafka-python, timestamp_ms=-10**16) instead of failing on it', async () => {
    await createTopic(g, 'long_ago');
    const script = [
      'import sys',
      'from kafka import KafkaProducer',
      "p = KafkaProducer(bootstrap_servers=sys.argv[1], acks='all')",
      "p.send('long_ago', b'ancient', partition=0, timestamp_ms=-10**16).get(timeout=30)",
      "p.send('long_ago', b'recent', partition=0).get(timeout=30)",
      'p.close()',
    ].join('\n');
    const produced = await run(PYTHON, ['-c', script, g.bootstrap]);
    expect(produced.code, produced.stderr).toBe(0);
    const tail = await tributary(['tail', 'long_ago', '--from-beginning', '--once', '--admin', g.adminUrl]);
    expect(tail.code, tail.stderr).toBe(0);
    const lines = tail.stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^long_ago\/0@0 -10000000000000000 /);
    expect(lines[1]).toMatch(/^long_ago\/0@1 \d{4}-\d\d-\d\dT/);
  });

  it.runIf(python)('deletes by retention a segment of records without a timestamp (-1, Kafka\'s NO_TIMESTAMP) once it was last written that long ago, as Kafka does, so it holds back none after it', async () => {
    await createTopic(g, 'no_timestamp', 1_000);
    const script = [
      'import sys',
      'from kafka import KafkaProducer',
      "p = KafkaProducer(bootstrap_servers=sys.argv[1], acks='all', linger_ms=0)",
      "p.send('no_timestamp', b'x' * 900, partition=0, timestamp_ms=-1).get(timeout=30)",
      'for i in range(3):',
      "    p.send('no_timestamp', b'y' * 900, partition=0).get(timeout=30)",
      'p.close()',
    ].join('\n');
    const produced = await run(PYTHON, ['-c', script, g.bootstrap]);
    expect(produced.code, produced.stderr).toBe(0);
    expect(await partition0(g, 'no_timestamp')).toMatchObject({ logStartOffset: 0, highWatermark: 4 });
    await new Promise((r) => setTimeout(r, 1_500));
    await (g.gateway.backend as EmbeddedBackend).enforceRetention();
    // Past the topic's retention of a second: every segment but the active one (a 1 KiB segment each).
    expect(await partition0(g, 'no_timestamp')).toMatchObject({ logStartOffset: 3, highWatermark: 4 });
  });
});

