import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeListOffsetsRequest } from '../../src/kafka/messages/list-offsets-request.js';
import { readListOffsetsResponse } from '../../src/kafka/messages/list-offsets-response.js';
import { KafkaReader } from '../../src/kafka/protocol/reader.js';
import type { EmbeddedBackend } from '../../src/log/embedded/embedded-backend.js';
import { clientAvailable, type KafkaGateway, PYTHON, run, startKafkaGateway } from './helpers.js';
import { header, RawClient } from './raw-client.js';

/** Kafka's config sources, as DescribeConfigs reports them. */
const TOPIC_OWN = 1;
const DEFAULT = 5;

interface TopicJson {
  name: string;
  settings: Record<string, number>;
  partitions: { logStartOffset: number; highWatermark: number }[];
}

async function topic(g: KafkaGateway, name: string): Promise<TopicJson> {
  const res = await fetch(`${g.adminUrl}/api/v1/topics/${name}`);
  expect(res.status).toBe(200);
  return (await res.json()) as TopicJson;
}

/** 12 records of 300 bytes into partition 0: a dozen 1 KiB segments, the old ones past any retention of 1 ms. */
async function fill(g: KafkaGateway, name: string): Promise<void> {
  for (let i = 0; i < 12; i++) await g.gateway.backend.produce(name, 0, [{ value: Buffer.alloc(300, 120) }]);
  await new Promise((resolve) => setTimeout(resolve, 20));
  await (g.gateway.backend as EmbeddedBackend).enforceRetention();
}

/**
 * Unlimited retention is -1, as in Kafka, wherever a topic's retention is set: over CreateTopics,
 * the admin API and the config. A topic that sets none has the log's (`log.retention_ms`), and
 * DescribeConfigs shows that value, not "unlimited". Here the log keeps records for 1 ms only.
 */
describe('unlimited retention (-1) and the retention a topic inherits', () => {
  const available = clientAvailable(PYTHON, ['-c', 'import confluent_kafka'], 'python3-confluent-kafka');
  let g: KafkaGateway;
  beforeAll(async () => {
    g = await startKafkaGateway({
      partitions: 1,
      log: { retention_ms: 1, retention_check_interval: '1h' },
      topics: { kept_by_config: { partitions: 1, segment_bytes: 1024, retention_ms: -1 } },
    });
  }, 60_000);
  afterAll(() => g?.stop());

  it.runIf(available)("keeps a topic created over Kafka with retention.ms=-1, deletes one that inherits the log's 1 ms, and describes both as they are", async () => {
    const { code, stdout, stderr } = await run(PYTHON, [join(import.meta.dirname, 'clients', 'retention_topics.py'), g.bootstrap]);
    expect(code, stderr).toBe(0);
    const configs = JSON.parse(stdout.toString());
    expect(configs.kept).toEqual({
      'cleanup.policy': ['delete', DEFAULT],
      'retention.ms': ['-1', TOPIC_OWN],
      'retention.bytes': ['-1', DEFAULT],
      'segment.bytes': ['1024', TOPIC_OWN],
      'segment.ms': [String(7 * 86_400_000), DEFAULT],
    });
    // What the topic does not set is what the log applies to it: log.retention_ms here.
    expect(configs.inherits['retention.ms']).toEqual(['1', DEFAULT]);
    expect(configs.inherits['retention.bytes']).toEqual(['-1', DEFAULT]);

    await new Promise((resolve) => setTimeout(resolve, 20));
    await (g.gateway.backend as EmbeddedBackend).enforceRetention();
    const kept = await topic(g, 'kept');
    expect(kept.settings).toEqual({ retentionMs: -1, segmentBytes: 1024 });
    expect(kept.partitions[0]).toMatchObject({ logStartOffset: 0, highWatermark: 12 });
    const inherits = await topic(g, 'inherits');
    expect(inherits.partitions[0].highWatermark).toBe(12);
    expect(inherits.partitions[0].logStartOffset).toBeGreaterThan(0);
  });

  it('keeps a topic created or altered through the admin API with retentionMs -1', async () => {
    const created = await fetch(`${g.adminUrl}/api/v1/topics`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'kept_by_api', partitions: 1, segmentBytes: 1024, retentionMs: -1 }),
    });
    expect(created.status, await created.clone().text()).toBe(201);
    await fill(g, 'kept_by_api');
    expect((await topic(g, 'kept_by_api')).partitions[0]).toMatchObject({ logStartOffset: 0, highWatermark: 12 });

    // A topic with a retention of its own goes back to unlimited.
    await fetch(`${g.adminUrl}/api/v1/topics`, { method: 'POST', body: JSON.stringify({ name: 'altered', partitions: 1, segmentBytes: 1024, retentionMs: 3_600_000 }) });
    const altered = await fetch(`${g.adminUrl}/api/v1/topics/altered`, { method: 'PATCH', body: JSON.stringify({ retentionMs: -1, retentionBytes: -1 }) });
    expect(altered.status, await altered.clone().text()).toBe(200);
    expect(((await altered.json()) as TopicJson).settings).toEqual({ retentionMs: -1, retentionBytes: -1, segmentBytes: 1024 });
    await fill(g, 'altered');
    expect((await topic(g, 'altered')).partitions[0]).toMatchObject({ logStartOffset: 0, highWatermark: 12 });
  });

  it('keeps a topic whose config sets retention_ms: -1', async () => {
    expect((await topic(g, 'kept_by_config')).settings).toMatchObject({ retentionMs: -1 });
    await fill(g, 'kept_by_config');
    expect((await topic(g, 'kept_by_config')).partitions[0]).toMatchObject({ logStartOffset: 0, highWatermark: 12 });
  });

  it('answers ListOffsets earliest with the log start offset retention left, not 0', async () => {
    await g.gateway.backend.createTopic({ name: 'trimmed', partitions: 1, segmentBytes: 1024 });
    await fill(g, 'trimmed');
    const { logStartOffset } = (await topic(g, 'trimmed')).partitions[0];
    expect(logStartOffset).toBeGreaterThan(0);
    const c = await RawClient.open(g.bootstrap);
    try {
      c.send((w) => {
        header(2, 5, 7)(w);
        writeListOffsetsRequest(w, 5, { replicaId: -1, isolationLevel: 0, topics: [{ name: 'trimmed', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -2 }] }] });
      });
      const r = new KafkaReader((await c.next())!);
      expect(r.int32()).toBe(7);
      const p = readListOffsetsResponse(r, 5).topics[0].partitions[0];
      expect([p.errorCode, Number(p.offset)]).toEqual([0, logStartOffset]);
    } finally {
      c.close();
    }
  });

  it.runIf(available)('tells a consumer the log start offset retention left in its fetches, as its cached low watermark', async () => {
    await g.gateway.backend.createTopic({ name: 'trimmed_fetched', partitions: 1, segmentBytes: 1024 });
    await fill(g, 'trimmed_fetched');
    const { logStartOffset } = (await topic(g, 'trimmed_fetched')).partitions[0];
    expect(logStartOffset).toBeGreaterThan(0);
    const { code, stdout, stderr } = await run(PYTHON, [join(import.meta.dirname, 'clients', 'watermarks.py'), g.bootstrap, 'trimmed_fetched']);
    expect(code, stderr).toBe(0);
    const read = JSON.parse(stdout.toString());
    expect(read.offsets).toEqual(Array.from({ length: 12 - logStartOffset }, (_, i) => logStartOffset + i));
    // librdkafka keeps the low watermark each Fetch answers (its lag statistics use it), not only ListOffsets'.
    expect(read.cached).toEqual([logStartOffset, 12]);
    expect(read.asked).toEqual([logStartOffset, 12]);
  });

  it('refuses a retention below -1, naming the field', async () => {
    const res = await fetch(`${g.adminUrl}/api/v1/topics/altered`, { method: 'PATCH', body: JSON.stringify({ retentionMs: -2 }) });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { field: 'retentionMs' } });
  });

  it('creates a topic over Kafka whose retention.ms and segment.ms are Long.MAX_VALUE (as Debezium creates its history topic), kept for ever', async () => {
    const kafka = new Kafka({ clientId: 'long-max', brokers: [g.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 0 } });
    const admin = kafka.admin();
    await admin.connect();
    try {
      const longMax = '9223372036854775807';
      const created = await admin.createTopics({
        topics: [{ topic: 'long_max', numPartitions: 1, configEntries: [{ name: 'retention.ms', value: longMax }, { name: 'segment.ms', value: longMax }, { name: 'retention.bytes', value: longMax }] }],
      });
      expect(created).toBe(true);
    } finally {
      await admin.disconnect();
    }
    // 2^53 - 1 ms is 285,000 years: the same for ever as Kafka's 2^63 - 1.
    const max = Number.MAX_SAFE_INTEGER;
    expect((await topic(g, 'long_max')).settings).toEqual({ retentionMs: max, segmentMs: max, retentionBytes: max });
  });

  it('creates and alters a topic through the admin API with Long.MAX_VALUE as CreateTopics takes it, kept as 2^53 - 1; refuses one past a long', async () => {
    const longMax = '9223372036854775807';
    // The bodies are written by hand: JSON.stringify has no number that prints as Long.MAX_VALUE.
    const created = await fetch(`${g.adminUrl}/api/v1/topics`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: `{"name":"long_max_by_api","partitions":1,"retentionMs":${longMax},"retentionBytes":${longMax}}`,
    });
    expect(created.status, await created.clone().text()).toBe(201);
    const max = Number.MAX_SAFE_INTEGER;
    expect(((await created.json()) as TopicJson).settings).toEqual({ retentionMs: max, retentionBytes: max });
    const altered = await fetch(`${g.adminUrl}/api/v1/topics/long_max_by_api`, { method: 'PATCH', body: `{"segmentMs":${longMax}}` });
    expect(altered.status, await altered.clone().text()).toBe(200);
    expect(((await altered.json()) as TopicJson).settings).toEqual({ retentionMs: max, retentionBytes: max, segmentMs: max });

    const pastLong = await fetch(`${g.adminUrl}/api/v1/topics/long_max_by_api`, { method: 'PATCH', body: '{"retentionMs":18446744073709551615}' });
    expect(pastLong.status).toBe(400);
    expect(await pastLong.json()).toMatchObject({ error: { field: 'retentionMs' } });
  });
});

