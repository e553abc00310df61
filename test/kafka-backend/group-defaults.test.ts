/**
 * Runs on: main thread (tests). The `groups:` block over `log.backend: kafka`: a pipeline without
 * an `assignor` of its own takes `groups.assignor`, as it does over the embedded log. The cluster
 * is Tributary's own Kafka listener, which (unlike the librdkafka mock) serves DescribeGroups.
 */
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { createGateway, type Gateway } from '../../src/gateway.js';
import { silentLogger } from '../../src/telemetry/logger.js';
import { Telemetry } from '../../src/telemetry/telemetry.js';
import { type KafkaGateway, startKafkaGateway } from '../kafka/helpers.js';
import { describeKafka, kafkaConfig } from './mock-fixture.js';

vi.setConfig({ testTimeout: 60_000 });

describeKafka("groups.assignor over the Kafka backend (Tributary's own Kafka listener as the cluster)", () => {
  let cluster: KafkaGateway;
  let gateway: Gateway;
  beforeAll(async () => {
    cluster = await startKafkaGateway();
    const config = kafkaConfig(
      { brokers: [cluster.bootstrap] },
      {
        receiver: { endpoint: '127.0.0.1:0', workers: 1 },
        admin: { endpoint: '127.0.0.1:0' },
        groups: { session_timeout: 6_000, heartbeat_interval: 500, rebalance_timeout: 6_000, assignor: 'range' },
        pipelines: [{ group: 'ranged', topics: ['events_in'], sink: { type: 'debug' } }],
      },
    );
    gateway = createGateway(config, { logger: silentLogger, telemetry: new Telemetry() });
    await gateway.start();
  });
  afterAll(async () => {
    await gateway?.shutdown();
    await cluster?.stop();
  });

  it("gives a pipeline with no assignor of its own the groups block's assignor", async () => {
    const admin = `http://127.0.0.1:${gateway.adminAddress().port}`;
    let described: { state?: string; assignor?: string } = {};
    await vi.waitFor(
      async () => {
        described = (await (await fetch(`${admin}/api/v1/groups/ranged`)).json()) as typeof described;
        expect(described.state).toBe('Stable');
      },
      { timeout: 30_000, interval: 200 },
    );
    expect(described.assignor).toBe('range');
    // The cluster's own coordinator agrees: the group's members chose range.
    const seen = (await (await fetch(`${cluster.adminUrl}/api/v1/groups/ranged`)).json()) as { assignor: string };
    expect(seen.assignor).toBe('range');
  });
});
