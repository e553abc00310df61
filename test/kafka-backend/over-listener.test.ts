/**
 * Runs on: main thread (tests). The Kafka backend (librdkafka through @confluentinc/kafka-javascript)
 * with Tributary's own Kafka listener as its cluster: one gateway, from the real factory, serves
 * the Kafka protocol over the embedded engine, and the shared conformance suites run against a
 * Kafka backend pointed at it. The listener offers what the librdkafka 2.0.2 mock cluster lacks
 * (CreateTopics, ListOffsets by timestamp, DescribeGroups, ListGroups), so the checks the mock
 * cannot make run here.
 */
import { afterAll, beforeAll, vi } from 'vitest';
import { runGroupConformance } from '../groups/conformance.js';
import { startKafkaGateway, type KafkaGateway } from '../kafka/helpers.js';
import { runLogBackendConformance } from '../log/conformance.js';
import { describeKafka, startKafkaBackend } from './mock-fixture.js';

vi.setConfig({ testTimeout: 90_000 });

describeKafka("Kafka backend on Tributary's own Kafka listener", () => {
  let listener: KafkaGateway;
  beforeAll(async () => {
    listener = await startKafkaGateway();
  });
  afterAll(async () => {
    await listener?.stop();
  });
  const cluster = () => ({ brokers: [listener.bootstrap] });

  runLogBackendConformance('kafka over the listener', () => startKafkaBackend(cluster()), {
    maxRecordBytes: 1024 ** 2,
    fetchUnit: 'record',
  });
  runGroupConformance('kafka over the listener', () => startKafkaBackend(cluster()), {
    memberTimeouts: { sessionTimeoutMs: 6_000, heartbeatIntervalMs: 500 },
    pollRounds: 2_000,
    cannotCheck: {
      silentMember:
        'librdkafka always sends LeaveGroup when a consumer closes; a member that goes silent is shown by the multi-process test, which kills a sink process with SIGKILL',
      memberCommits: 'librdkafka commits only as the member it is, so a commit as another member or an old generation cannot be sent',
    },
  });
});
