import { Admin } from '@platformatic/kafka';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EmbeddedBackend } from '../../src/log/embedded/embedded-backend.js';
import { countCalls, type KafkaGateway, startKafkaGateway } from './helpers.js';

const TOPIC = 'events_in';
const TOPIC_CONFIG = 2 as const;
/** A topic whose segments hold one batch of 700 bytes each. */
const ROLLED = 'rolled';

/** @platformatic/kafka 1.x's Admin (npm), in this process: the admin calls the listener serves, answered as Kafka answers them. */
describe("@platformatic/kafka's Admin against the Kafka listener", () => {
  let g: KafkaGateway;
  let admin: Admin;
  beforeAll(async () => {
    g = await startKafkaGateway({ topics: { [TOPIC]: { partitions: 2, retention_ms: '1h' }, [ROLLED]: { partitions: 1, segment_bytes: '1KiB' } } });
    admin = new Admin({ clientId: 'platformatic-admin', bootstrapBrokers: [g.bootstrap] });
  }, 60_000);
  afterAll(async () => {
    await admin?.close();
    await g?.stop();
  });

  const configsOf = async (configurationKeys: string[] | null) => {
    const [described] = await admin.describeConfigs({ resources: [{ resourceType: TOPIC_CONFIG, resourceName: TOPIC, configurationKeys }] });
    return Object.fromEntries(described.configs.map((c) => [c.name, c.value]));
  };

  it('describes every config of a topic when the keys asked for are an empty list, as Kafka does, and only those named otherwise', async () => {
    const all = await configsOf(null);
    expect(all).toMatchObject({ 'cleanup.policy': 'delete', 'retention.ms': '3600000' });
    // Kafka's broker reads an empty list of keys as null: every config.
    expect(await configsOf([])).toEqual(all);
    expect(await configsOf(['retention.ms'])).toEqual({ 'retention.ms': '3600000' });
  });

  it("answers a DescribeConfigs naming a topic 20,000 times from the topic's metadata, without asking its brokers once per resource", async () => {
    // Counts what asks the brokers (the real method runs). Once per resource, 200,000 resources
    // (a 3.4 MB request) held 1.8 GB and the main thread for 27 s.
    const brokerRoundTrips = countCalls(g.gateway.backend as EmbeddedBackend, 'describeTopic');
    try {
      const resources = Array.from({ length: 20_000 }, () => ({ resourceType: TOPIC_CONFIG, resourceName: TOPIC, configurationKeys: ['retention.ms'] }));
      const described = await admin.describeConfigs({ resources });
      expect(described).toHaveLength(20_000);
      expect(new Set(described.map((d) => JSON.stringify(d.configs.map((c) => [c.name, c.value]))))).toEqual(new Set([JSON.stringify([['retention.ms', '3600000']])]));
      expect(brokerRoundTrips.count()).toBe(0);
    } finally {
      brokerRoundTrips.restore();
    }
  });

  it("creates a topic and answers with its configs, its own and the log's defaults, as Kafka's CreateTopics v5+ does", async () => {
    const [created] = await admin.createTopics({ topics: ['created_here'], partitions: 3, replicas: 1, configs: [{ name: 'retention.ms', value: '60000' }] });
    expect(created).toMatchObject({ name: 'created_here', partitions: 3, replicas: 1 });
    expect(created.configuration).toMatchObject({ 'cleanup.policy': 'delete', 'retention.ms': '60000', 'retention.bytes': '-1', 'segment.bytes': String(128 * 1024 ** 2) });
    // What DescribeConfigs then shows of it.
    const [described] = await admin.describeConfigs({ resources: [{ resourceType: TOPIC_CONFIG, resourceName: 'created_here' }] });
    expect(Object.fromEntries(described.configs.map((c) => [c.name, c.value]))).toEqual(created.configuration);
  });

  it('lists offsets by timestamp: -3 (MAX_TIMESTAMP, KIP-734) is the record with the largest timestamp, whatever its place', async () => {
    // Partition 1, written here only: the largest timestamp is the second record's.
    await g.gateway.backend.produce(TOPIC, 1, [5000, 9000, 7000].map((timestamp) => ({ value: Buffer.from(`t${timestamp}`), timestamp })));
    const listed = async (partitionIndex: number, timestamp: bigint, name = TOPIC) => {
      const [topic] = await admin.listOffsets({ topics: [{ name, partitions: [{ partitionIndex, timestamp }] }] });
      const { offset, timestamp: found } = topic.partitions[0];
      return [offset, found];
    };
    expect(await listed(1, -3n)).toEqual([1n, 9000n]);
    expect(await listed(1, 6000n)).toEqual([1n, 9000n]);
    expect(await listed(1, -2n)).toEqual([0n, -1n]);
    expect(await listed(1, -1n)).toEqual([3n, -1n]);
    // A partition with no record has none: offset -1, as Kafka answers.
    expect(await listed(0, -3n)).toEqual([-1n, -1n]);
    // Over segments: the largest timestamp lies in the second of four.
    for (const timestamp of [5000, 9000, 7000, 8000]) await g.gateway.backend.produce(ROLLED, 0, [{ value: Buffer.alloc(700, 1), timestamp }]);
    expect(await listed(0, -3n, ROLLED)).toEqual([1n, 9000n]);
  });
});
