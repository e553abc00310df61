import { afterAll, beforeAll, expect, it } from 'vitest';
import { createGateway, type Gateway } from '../../src/gateway.js';
import { silentLogger } from '../../src/telemetry/logger.js';
import { Telemetry } from '../../src/telemetry/telemetry.js';
import { tributary } from '../e2e/cli-process.js';
import { describeKafka, kafkaConfig, useMockCluster } from './mock-fixture.js';

describeKafka('the admin API and CLI over Kafka (3-broker librdkafka mock cluster)', () => {
  const cluster = useMockCluster({ otlp_spans: 3, otlp_metrics: 1, otlp_logs: 1, otlp_events: 1 });
  let gateway: Gateway;
  let admin: string;
  beforeAll(async () => {
    gateway = createGateway(kafkaConfig(cluster(), { receiver: { endpoint: '127.0.0.1:0', workers: 1 }, admin: { endpoint: '127.0.0.1:0' } }), {
      logger: silentLogger,
      telemetry: new Telemetry(),
    });
    await gateway.start();
    admin = `http://127.0.0.1:${gateway.adminAddress().port}`;
    await gateway.backend.produce('otlp_spans', 1, [{ key: Buffer.from('k'), value: Buffer.from('v'), headers: [{ key: 'content-type', value: 'application/x-protobuf' }] }]);
  });
  afterAll(() => gateway?.shutdown());

  const get = async (path: string) => {
    const response = await fetch(`${admin}${path}`);
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  it("shows Kafka's brokers, topics and records in the embedded engine's shapes", async () => {
    const clusterInfo = await get('/api/v1/cluster');
    expect(clusterInfo.status).toBe(200);
    expect(clusterInfo.body).toMatchObject({ backend: 'kafka', controller: -1 });
    expect((clusterInfo.body.brokers as { id: number; port: number }[]).map((b) => b.port).sort()).toEqual(cluster().brokers.map((b) => Number(b.split(':')[1])).sort());

    const topic = await get('/api/v1/topics/otlp_spans');
    expect(topic.status).toBe(200);
    const partitions = topic.body.partitions as { partition: number; leader: number; replicas: number[]; isr: number[]; highWatermark: number; sizeBytes: number | null }[];
    expect(partitions.map((p) => p.partition)).toEqual([0, 1, 2]);
    expect(partitions.map((p) => p.highWatermark)).toEqual([0, 1, 0]);
    for (const p of partitions) {
      expect(p.replicas).toHaveLength(3);
      expect(p.isr).toContain(p.leader);
      // Kafka's log sizes are not known here: null, with the reason beside it, rather than a made-up 0.
      expect(p.sizeBytes).toBeNull();
    }
    expect((topic.body.unavailable as Record<string, string>).sizeBytes).toMatch(/DescribeLogDirs/);

    const records = await get('/api/v1/topics/otlp_spans/records?partition=1&offset=0&limit=10');
    expect(records.body.records).toMatchObject([{ offset: 0, key: Buffer.from('k').toString('base64'), value: Buffer.from('v').toString('base64'), headers: [{ key: 'content-type', value: 'application/x-protobuf' }] }]);
  });

  it('says which Kafka API the cluster lacks instead of inventing groups (501)', async () => {
    for (const [path, api] of [
      ['/api/v1/groups', 'ListGroups'],
      ['/api/v1/groups/anything', 'DescribeGroups'],
    ]) {
      const answer = await get(path);
      expect(answer.status).toBe(501);
      expect(answer.body.error).toMatchObject({ code: 'UNSUPPORTED_BY_CLUSTER' });
      expect((answer.body.error as { message: string }).message).toContain(api);
    }
    const listed = await tributary(['groups', 'list'], { TRIBUTARY_ADMIN_URL: admin });
    expect(listed.code).not.toBe(0);
    expect(listed.stderr).toContain('the Kafka cluster does not serve ListGroups (API key 16) (UNSUPPORTED_BY_CLUSTER)');
  });

  it('resets the offsets of a group over the admin API, and the CLI lists the topics', async () => {
    const reset = await fetch(`${admin}/api/v1/groups/offsets-only/offsets`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ to: 'latest', topics: ['otlp_spans'] }),
    });
    expect(reset.status).toBe(200);
    expect(((await reset.json()) as { offsets: { partition: number; offset: number }[] }).offsets.map((o) => [o.partition, o.offset])).toEqual([
      [0, 0],
      [1, 1],
      [2, 0],
    ]);
    const listed = await tributary(['topics', 'list'], { TRIBUTARY_ADMIN_URL: admin });
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/otlp_spans\s+3\s+1\s+-/);
  });
});
