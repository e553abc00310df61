import { Admin } from '@platformatic/kafka';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type KafkaGateway, startKafkaGateway } from './helpers.js';

const TOPIC = 'events_in';
const TOPIC_CONFIG = 2;

/** @platformatic/kafka 1.x's Admin (npm), in this process: the admin calls the listener serves, answered as Kafka answers them. */
describe("@platformatic/kafka's Admin against the Kafka listener", () => {
  let g: KafkaGateway;
  let admin: Admin;
  beforeAll(async () => {
    g = await startKafkaGateway({ topics: { [TOPIC]: { partitions: 2, retention_ms: '1h' } } });
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
});
