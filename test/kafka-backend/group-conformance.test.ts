import { vi } from 'vitest';
import { runGroupConformance } from '../groups/conformance.js';
import { describeKafka, MOCK_LACKS, startKafkaBackend, useMockCluster } from './mock-fixture.js';

vi.setConfig({ testTimeout: 90_000 });

describeKafka('Kafka consumer groups on a 3-broker librdkafka mock cluster', () => {
  const cluster = useMockCluster();
  runGroupConformance('kafka', () => startKafkaBackend(cluster()), {
    createTopic: (name, partitions) => cluster().createTopic(name, partitions),
    // Kafka's smallest session by default (group.min.session.timeout.ms); the mock expires shorter ones while they join.
    memberTimeouts: { sessionTimeoutMs: 6_000, heartbeatIntervalMs: 500 },
    // Each rebalance takes seconds on Kafka (the mock's initial rebalance delay is 3 s), and a
    // cooperative one two rounds; give a busy machine room.
    pollRounds: 2_000,
    cannotCheck: {
      describe: MOCK_LACKS.describeGroups,
      silentMember:
        'librdkafka always sends LeaveGroup when a consumer closes; a member that goes silent is shown by the multi-process test, which kills a sink process with SIGKILL',
      resetWithMembers: MOCK_LACKS.memberlessCommit,
      resetAfterMembersLeft: MOCK_LACKS.commitAfterMembers,
      deleteGroup: MOCK_LACKS.deleteGroups,
      memberCommits: 'librdkafka commits only as the member it is, so a commit as another member or an old generation cannot be sent',
    },
  });
});
