import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GroupMember, waitFor } from './group-member.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeLeaveGroupRequest } from '../../src/kafka/messages/leave-group-request.js';
import { readLeaveGroupResponse } from '../../src/kafka/messages/leave-group-response.js';
import { KafkaReader } from '../../src/kafka/protocol/reader.js';
import { clientAvailable, type KafkaGateway, PYTHON, run, startKafkaGateway } from './helpers.js';
import { header, RawClient } from './raw-client.js';

const TOPIC = 'events_in';
const PARTITIONS = 4;

const clients = [
  { client: 'confluent' as const, label: 'python3-confluent-kafka (librdkafka 2.0)', module: 'confluent_kafka' },
  { client: 'kafka-python' as const, label: 'python3-kafka (kafka-python 2.0)', module: 'kafka' },
];

describe.each(clients)('a consumer group of two $label members', ({ client, label, module }) => {
  const available = clientAvailable(PYTHON, ['-c', `import ${module}`], label);
  let g: KafkaGateway;
  const members: GroupMember[] = [];
  beforeAll(async () => {
    if (available) g = await startKafkaGateway({ partitions: PARTITIONS });
  }, 60_000);
  afterAll(async () => {
    await Promise.all(members.map((m) => m.stop()));
    await g?.stop();
  });

  let produced = 0;
  async function produce(count: number): Promise<void> {
    for (let i = 0; i < count; i++) {
      const n = produced++;
      await g.gateway.backend.produce(TOPIC, n % PARTITIONS, [{ value: Buffer.from(`v-${n}`) }]);
    }
  }

  it.runIf(available)('split the partitions, rebalance when one leaves, lose and skip nothing, and commit offsets the admin API shows', async () => {
    const group = `${client}-pair`;
    const detail = () => members.map((m) => m.describe()).join('\n');
    const distinct = () => new Set(members.flatMap((m) => m.records().map((r) => `${r.partition}:${r.offset}`))).size;

    await produce(200);
    const a = new GroupMember(client, g.bootstrap, group, TOPIC, 'member-a');
    members.push(a);
    await waitFor('member-a to own every partition', () => a.assignment()?.length === PARTITIONS, detail);

    const b = new GroupMember(client, g.bootstrap, group, TOPIC, 'member-b');
    members.push(b);
    await waitFor('the two members to split the partitions', () => a.assignment()?.length === 2 && b.assignment()?.length === 2, detail);
    expect([...a.assignment()!, ...b.assignment()!].sort()).toEqual([0, 1, 2, 3]);

    await produce(200);
    await waitFor('every record so far to be consumed', () => distinct() === 400, detail);
    expect(b.records().length).toBeGreaterThan(0);

    expect(await b.stop()).toBe(0);
    await waitFor('member-a to own every partition again', () => a.assignment()?.length === PARTITIONS, detail);
    await produce(200);
    await waitFor('every record to be consumed', () => distinct() === 600, detail);

    // Nothing skipped: every offset of every partition was handled, in order within each member.
    const values = new Set(members.flatMap((m) => m.records().map((r) => r.value)));
    expect(values.size).toBe(600);
    for (let n = 0; n < 600; n++) expect(values.has(`v-${n}`)).toBe(true);

    await waitFor(
      'the admin API to show every partition committed with no lag',
      async () => {
        const res = await fetch(`${g.adminUrl}/api/v1/groups/${group}`);
        if (!res.ok) return false;
        const body = (await res.json()) as { members: unknown[]; partitions: { committedOffset: number; highWatermark: number; lag: number }[] };
        return body.members.length === 1 && body.partitions.length === PARTITIONS && body.partitions.every((p) => p.lag === 0 && p.committedOffset === 150);
      },
      detail,
    );
    const listed = (await (await fetch(`${g.adminUrl}/api/v1/groups`)).json()) as { groups: { group: string }[] };
    expect(listed.groups.map((x) => x.group)).toContain(group);

    // What Kafka tools see over the protocol (kafka-python's admin client): ListGroups, DescribeGroups, OffsetFetch.
    const seen = await run(PYTHON, [join(import.meta.dirname, 'clients', 'describe_group.py'), g.bootstrap, group]);
    expect(seen.code, seen.stderr).toBe(0);
    const view = JSON.parse(seen.stdout.toString());
    expect(view.listed).toContainEqual({ group, protocol_type: 'consumer' });
    expect(view.described).toEqual([
      {
        group,
        state: 'Stable',
        protocol_type: 'consumer',
        protocol: expect.any(String),
        members: [{ client_id: 'member-a', topics: [TOPIC], assignment: [[TOPIC, [0, 1, 2, 3]]] }],
      },
    ]);
    expect(view.offsets).toEqual({ [`${TOPIC}-0`]: 150, [`${TOPIC}-1`]: 150, [`${TOPIC}-2`]: 150, [`${TOPIC}-3`]: 150 });
  }, 180_000);
});

describe('static members (group.instance.id) of python3-confluent-kafka', () => {
  const available = clientAvailable(PYTHON, ['-c', 'import confluent_kafka'], 'python3-confluent-kafka (librdkafka 2.0)');
  let g: KafkaGateway;
  const members: GroupMember[] = [];
  beforeAll(async () => {
    if (available) g = await startKafkaGateway({ partitions: PARTITIONS });
  }, 60_000);
  afterAll(async () => {
    await Promise.all(members.map((m) => m.stop()));
    await g?.stop();
  });

  async function generation(group: string): Promise<number> {
    const body = (await (await fetch(`${g.adminUrl}/api/v1/groups/${group}`)).json()) as { generation: number };
    return body.generation;
  }

  it.runIf(available)('refuses a commit from outside the group while it has members as Kafka does (UNKNOWN_MEMBER_ID), and takes it once the group is empty', async () => {
    const group = 'memberless-commit';
    const detail = () => members.map((m) => m.describe()).join('\n');
    const a = new GroupMember('confluent', g.bootstrap, group, TOPIC, 'busy-member');
    members.push(a);
    await waitFor('the member to own every partition', () => a.assignment()?.length === PARTITIONS, detail);
    // A consumer that never joins (generation -1, no member id), as Kafka's tools commit.
    const commit = [
      'import sys',
      'from confluent_kafka import Consumer, TopicPartition',
      'c = Consumer({"bootstrap.servers": sys.argv[1], "group.id": sys.argv[2], "enable.auto.commit": False})',
      'try:',
      '    c.commit(offsets=[TopicPartition(sys.argv[3], 0, 1)], asynchronous=False)',
      '    print("committed")',
      'except Exception as e:',
      '    print(e)',
      'c.close()',
    ].join('\n');
    const busy = await run(PYTHON, ['-c', commit, g.bootstrap, group, TOPIC]);
    expect(busy.stdout.toString()).toMatch(/UNKNOWN_MEMBER_ID/);
    expect(await a.stop()).toBe(0);
    const idle = await run(PYTHON, ['-c', commit, g.bootstrap, group, TOPIC]);
    expect(idle.stdout.toString().trim()).toBe('committed');
  }, 60_000);

  it.runIf(available)('removes a static member named by its group.instance.id alone (LeaveGroup v3, as Kafka admin tools send it), at once', async () => {
    const group = 'static-removed';
    const m = new GroupMember('confluent', g.bootstrap, group, TOPIC, 'static-to-remove', 'inst-removed');
    members.push(m);
    await waitFor('the member to own every partition', () => m.assignment()?.length === PARTITIONS, () => m.describe());
    const membersOf = async () => {
      const listed = (await (await fetch(`${g.adminUrl}/api/v1/groups`)).json()) as { groups: { group: string; members: number }[] };
      return listed.groups.find((x) => x.group === group)?.members ?? 0;
    };
    expect(await membersOf()).toBe(1);
    // Kafka's AdminClient removeMembersFromConsumerGroup: the member id unknown (""), the instance id given.
    const c = await RawClient.open(g.bootstrap);
    c.send((w) => {
      header(13, 3, 21)(w);
      writeLeaveGroupRequest(w, 3, { groupId: group, memberId: '', members: [{ memberId: '', groupInstanceId: 'inst-removed' }] });
    });
    const r = new KafkaReader((await c.next())!);
    c.close();
    expect(r.int32()).toBe(21);
    const answer = readLeaveGroupResponse(r, 3);
    expect([answer.errorCode, answer.members.map((x) => [x.groupInstanceId, x.errorCode])]).toEqual([0, [['inst-removed', 0]]]);
    // Gone now, not after its session (6 s) ran out: the admin API shows the group without it.
    expect(await membersOf()).toBe(0);
  }, 60_000);

  it.runIf(available)('a static member restarted within its session takes its partitions back without a rebalance, and a second process with its id fences the first', async () => {
    const group = 'static-pair';
    const detail = () => members.map((m) => m.describe()).join('\n');
    const member = (name: string, instance: string) => {
      const m = new GroupMember('confluent', g.bootstrap, group, TOPIC, name, instance);
      members.push(m);
      return m;
    };
    const a = member('static-a', 'inst-a');
    await waitFor('static-a to own every partition', () => a.assignment()?.length === PARTITIONS, detail);
    const b = member('static-b', 'inst-b');
    await waitFor('the two members to split the partitions', () => a.assignment()?.length === 2 && b.assignment()?.length === 2, detail);
    const settled = await generation(group);
    const ofB = b.assignment()!;
    const eventsOfA = a.events.length;

    // A restart within the session timeout (6 s): no LeaveGroup, the same instance id.
    await b.kill();
    const b2 = member('static-b-restarted', 'inst-b');
    await waitFor('the restarted member to get its old partitions', () => b2.assignment()?.length === 2, detail);
    expect(b2.assignment()).toEqual(ofB);
    expect(await generation(group)).toBe(settled);

    // A second process with the same instance id: the older one is fenced, the group does not churn.
    const b3 = member('static-b-duplicate', 'inst-b');
    await waitFor('the newest process to get the partitions', () => b3.assignment()?.length === 2, detail);
    await waitFor('the older process to be fenced', () => b2.events.some((e) => e.event === 'error' && /FENCED/i.test(e.error ?? '')), detail);
    await new Promise((r) => setTimeout(r, 4_000));
    expect(await generation(group)).toBe(settled);
    expect(a.events.slice(eventsOfA).filter((e) => e.event === 'revoked' || e.event === 'assigned')).toEqual([]);

    // Nothing is lost: records produced now reach the live members.
    for (let n = 0; n < 40; n++) await g.gateway.backend.produce(TOPIC, n % PARTITIONS, [{ value: Buffer.from(`static-${n}`) }]);
    const seen = () => new Set([...a.records(), ...b3.records()].map((r) => r.value).filter((v) => v?.startsWith('static-')));
    await waitFor('every record to reach a live member', () => seen().size === 40, detail);
  }, 120_000);
});

describe('a group of Kafka clients beside a pipeline across a gateway restart', () => {
  const available = clientAvailable(PYTHON, ['-c', 'import confluent_kafka'], 'python3-confluent-kafka (librdkafka 2.0)');

  it.runIf(available)('keeps the committed offsets of both groups; the client rejoins and the pipeline restarts, reading on with nothing lost', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tributary-groups-restart-'));
    const dataDir = join(dir, 'log');
    // Beside the log's directory: a file sink may not write inside it.
    const pipelines = [{ group: 'restart-pipeline', topics: [TOPIC], members: 2, sink: { type: 'file', path: join(dir, 'out.jsonl') } }];
    let g = await startKafkaGateway({ partitions: PARTITIONS, dataDir, pipelines });
    const port = g.gateway.kafkaAddress()!.port;
    const member = new GroupMember('confluent', g.bootstrap, 'restart-clients', TOPIC, 'restart-member');
    const detail = () => member.describe();
    let produced = 0;
    const produce = async (count: number) => {
      for (let i = 0; i < count; i++, produced++) await g.gateway.backend.produce(TOPIC, produced % PARTITIONS, [{ value: Buffer.from(`r-${produced}`) }]);
    };
    const committed = async (group: string, offset: number, members: number) => {
      const res = await fetch(`${g.adminUrl}/api/v1/groups/${group}`);
      if (!res.ok) return false;
      const body = (await res.json()) as { members: unknown[]; partitions: { committedOffset: number | null; lag: number | null }[]; totalLag: number };
      return body.members.length === members && body.partitions.length === PARTITIONS && body.partitions.every((p) => p.committedOffset === offset && p.lag === 0);
    };
    const values = () => new Set(member.records().map((r) => r.value));
    try {
      await produce(100);
      await waitFor('the client to read every record', () => values().size === 100, detail);
      await waitFor('both groups to commit everything', async () => (await committed('restart-clients', 25, 1)) && (await committed('restart-pipeline', 25, 2)), detail);

      await g.stop();
      g = await startKafkaGateway({ partitions: PARTITIONS, dataDir, pipelines, kafka: { listener: `127.0.0.1:${port}` } });
      const kept = (await (await fetch(`${g.adminUrl}/api/v1/groups/restart-clients`)).json()) as { partitions: { committedOffset: number }[] };
      expect(kept.partitions.map((p) => p.committedOffset)).toEqual([25, 25, 25, 25]);

      await produce(100);
      await waitFor('the client to rejoin and read the new records', () => values().size === 200, detail);
      await waitFor('both groups to commit everything again', async () => (await committed('restart-clients', 50, 1)) && (await committed('restart-pipeline', 50, 2)), detail);
      // Read on from the committed offsets: at most the one record per partition in flight at the stop is read again.
      expect(member.records().length - 200).toBeLessThanOrEqual(PARTITIONS);
    } finally {
      await member.stop();
      await g.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
