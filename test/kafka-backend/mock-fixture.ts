/**
 * Runs on: main thread (tests). A librdkafka mock cluster of 3 brokers per test file and Kafka
 * backends on it, built by the real factories. Without the Kafka client or librdkafka-dev the
 * tests skip with the reason printed; under CI=true they fail instead.
 */
import { afterAll, beforeAll, describe } from 'vitest';
import { mockClusterUnavailable, type MockCluster, startMockCluster } from '../../bench/lib/kafka-mock-cluster.js';
import { configSchema, type TributaryConfig } from '../../src/config/schema.js';
import { createLogBackend } from '../../src/log/create-backend.js';
import type { KafkaBackend } from '../../src/log/kafka/kafka-backend.js';
import { loadKafkaClient } from '../../src/log/kafka/load-client.js';

function kafkaUnavailable(): string | undefined {
  const mock = mockClusterUnavailable();
  if (mock) return mock;
  try {
    loadKafkaClient('test');
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

/**
 * `describe`, or `describe.skip` with the reason printed when the mock, the client or another
 * component a test names (`also`: why it is missing, or undefined) is missing; under CI=true a
 * missing component fails instead.
 */
export function describeKafkaWith(also: string | undefined): typeof describe.skip {
  const unavailable = kafkaUnavailable() ?? also;
  if (!unavailable) return describe;
  if (process.env.CI === 'true') throw new Error(`the Kafka backend tests need: ${unavailable}`);
  console.warn(`skipping the Kafka backend tests: ${unavailable}`);
  return describe.skip;
}

export const describeKafka = describeKafkaWith(undefined);

/** What the 2.0.2 mock cluster lacks, for the conformance suites to say which checks they cannot make. */
export const MOCK_LACKS = {
  createTopics: 'the librdkafka 2.0.2 mock cluster has no CreateTopics API: topics are created in the mock directly',
  deleteTopics: 'the librdkafka 2.0.2 mock cluster has no DeleteTopics API, nor a way to delete a topic in the mock',
  timestamps: 'the librdkafka 2.0.2 mock cluster answers ListOffsets only for earliest and latest, not by timestamp',
  describeGroups: 'the librdkafka 2.0.2 mock cluster has no DescribeGroups or ListGroups API',
  deleteGroups: 'the librdkafka 2.0.2 mock cluster has no DeleteGroups API',
  commitAfterMembers:
    'the librdkafka 2.0.2 mock cluster refuses a memberless offset commit (UNKNOWN_MEMBER_ID) to any group that ever had members; Kafka takes it once the group is Empty',
  memberlessCommit:
    'the librdkafka 2.0.2 mock cluster accepts a memberless offset commit to a group with members (Kafka refuses it) and has no DescribeGroups to check first',
};

/** One mock cluster for the file, started before its first test and stopped after its last. */
export function useMockCluster(topics: Record<string, number> = {}): () => MockCluster {
  let cluster: MockCluster | undefined;
  beforeAll(async () => {
    cluster = await startMockCluster({ brokers: 3, topics });
  });
  afterAll(async () => {
    await cluster?.stop();
  });
  return () => cluster!;
}

/** The brokers a Kafka backend bootstraps from: the mock cluster's, or any Kafka listener's. */
type KafkaCluster = Pick<MockCluster, 'brokers'>;

/** A gateway config on the cluster, with `extra` merged in (YAML's snake_case). */
export function kafkaConfig(cluster: KafkaCluster, extra: Record<string, unknown> = {}): TributaryConfig {
  const { log, ...rest } = extra as { log?: Record<string, unknown> };
  return configSchema.parse({
    log: { backend: 'kafka', max_record_bytes: 1024 ** 2, ...log, kafka: { brokers: cluster.brokers, client_id: 'tributary-test', ...(log?.kafka as object) } },
    // The mock holds a rebalance open for the rebalance timeout after the last member left.
    groups: { session_timeout: 6_000, heartbeat_interval: 500, rebalance_timeout: 6_000 },
    ...rest,
  });
}

export async function startKafkaBackend(cluster: KafkaCluster, extra: Record<string, unknown> = {}): Promise<KafkaBackend> {
  const backend = createLogBackend(kafkaConfig(cluster, extra)) as KafkaBackend;
  await backend.start();
  return backend;
}
