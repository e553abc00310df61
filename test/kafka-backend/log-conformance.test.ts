import { vi } from 'vitest';
import { runLogBackendConformance } from '../log/conformance.js';
import { describeKafka, MOCK_LACKS, startKafkaBackend, useMockCluster } from './mock-fixture.js';

// Paging a partition with librdkafka's readers takes one fetch round trip per page on the mock.
vi.setConfig({ testTimeout: 90_000 });

describeKafka('Kafka backend on a 3-broker librdkafka mock cluster', () => {
  const cluster = useMockCluster();
  runLogBackendConformance('kafka', () => startKafkaBackend(cluster()), {
    maxRecordBytes: 1024 ** 2,
    topicsCreatedOutside: { create: (name, partitions) => cluster().createTopic(name, partitions), reason: MOCK_LACKS.createTopics },
    // librdkafka hands out records, not the record batches they came in.
    fetchUnit: 'record',
    topicsNotDeletable: MOCK_LACKS.deleteTopics,
    cannotCheck: { offsetForTimestamp: MOCK_LACKS.timestamps },
  });
});
