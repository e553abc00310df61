import { afterEach, describe, expect, it } from 'vitest';
import type { Consumer } from '../../src/groups/types.js';
import type { ConsumedRecord } from '../../src/log/types.js';
import { expectLogError } from '../log/conformance.js';
import { consumer, exactCover, fill, pollUntil, useSharedGroups, valuesOf } from './helpers.js';

const allValues = (partitions: number, count: number) => Array.from({ length: partitions }, (_, p) => Array.from({ length: count }, (_, i) => `${p}:${i}`)).flat().sort();

describe('group consumer on the embedded engine', () => {
  const { f, fresh } = useSharedGroups();
  let open: Consumer[] = [];
  const make = (group: string, topic: string, extra: Parameters<typeof consumer>[1] extends infer O ? Partial<O> : never = {}) => {
    const c = consumer(f(), { group, topics: [topic], ...extra });
    open.push(c);
    return c;
  };
  afterEach(async () => {
    await Promise.all(open.splice(0).map((c) => c.close()));
  });

  it('splits the partitions among members with no overlap and no gap, again after joins and leaves', async () => {
    const topic = fresh('split');
    const group = fresh('g');
    await f().log.createTopic({ name: topic, partitions: 6 });
    await fill(f().log, topic, 5);
    const [a, b, c] = [make(group, topic), make(group, topic), make(group, topic)];
    const reads: ConsumedRecord[] = [];
    const collect = (read: ConsumedRecord[][]) => reads.push(...read.flat());

    collect(await pollUntil([a, b, c], () => exactCover([a, b, c], topic, 6), { commit: true }));
    expect([a, b, c].map((x) => x.assignment().length)).toEqual([2, 2, 2]);

    const d = make(group, topic);
    collect(await pollUntil([a, b, c, d], () => exactCover([a, b, c, d], topic, 6), { commit: true }));
    expect([a, b, c, d].map((x) => x.assignment().length).sort()).toEqual([1, 1, 2, 2]);

    await b.close();
    collect(await pollUntil([a, c, d], () => exactCover([a, c, d], topic, 6) && reads.length >= 30, { commit: true }));
    // Every member committed after each poll, before any rebalance: each record read exactly once.
    expect(valuesOf(reads).sort()).toEqual(allValues(6, 5));
  });

  it('gives two groups their own positions on one topic', async () => {
    const topic = fresh('shared');
    await f().log.createTopic({ name: topic, partitions: 2 });
    await fill(f().log, topic, 10);
    const [x, y] = [make(fresh('x'), topic), make(fresh('y'), topic)];
    const [readX] = await pollUntil([x], (r) => r[0].length >= 20, { commit: true });
    expect(valuesOf(readX).sort()).toEqual(allValues(2, 10));
    // y still starts from the beginning, and commits only part of the topic.
    const first = await y.poll({ maxRecords: 3, maxWaitMs: 1_000 });
    expect(first.map((r) => r.offset)).toEqual([0, 1, 2]);
    await y.commit();
    const dx = await f().log.describeGroup(x.group);
    const dy = await f().log.describeGroup(y.group);
    expect(dx.totalLag).toBe(0);
    // Lag is known only where the group committed (Kafka shows "-" elsewhere).
    expect(dy.partitions).toMatchObject([
      { partition: 0, committedOffset: 3, highWatermark: 10, lag: 7 },
      { partition: 1, committedOffset: null, highWatermark: 10, lag: null },
    ]);
    expect(dy.totalLag).toBe(7);
  });

  it('redelivers what a member killed mid-batch had not committed to another member', async () => {
    const topic = fresh('kill');
    const group = fresh('g');
    await f().log.createTopic({ name: topic, partitions: 4 });
    const victim = make(group, topic, { clientId: 'victim' });
    const survivor = make(group, topic, { clientId: 'survivor' });
    await pollUntil([victim, survivor], () => exactCover([victim, survivor], topic, 4));
    await fill(f().log, topic, 10);
    const committedByVictim = await victim.poll({ maxRecords: 4, maxWaitMs: 2_000 });
    await victim.commit();
    const uncommitted = await victim.poll({ maxRecords: 4, maxWaitMs: 2_000 });
    expect(uncommitted.length).toBeGreaterThan(0);
    // The victim stops heartbeating without leaving or committing, as a crashed process would.
    await victim.close({ leaveGroup: false });
    open = open.filter((c) => c !== victim);

    // The survivor keeps polling; after the victim's 300 ms session it owns all four partitions.
    const [read] = await pollUntil([survivor], (r) => exactCover([survivor], topic, 4) && r[0].length + committedByVictim.length >= 40, { commit: true });
    const survivorValues = valuesOf(read);
    for (const v of valuesOf(uncommitted)) expect(survivorValues).toContain(v);
    for (const v of valuesOf(committedByVictim)) expect(survivorValues).not.toContain(v);
    expect([...new Set([...survivorValues, ...valuesOf(committedByVictim)])].sort()).toEqual(allValues(4, 10));
  });

  it('awaits onPartitionsRevoked before partitions move, so a commit made there is honoured', async () => {
    const topic = fresh('revoke');
    const group = fresh('g');
    await f().log.createTopic({ name: topic, partitions: 2 });
    await fill(f().log, topic, 10);
    const events: string[] = [];
    const first: Consumer = make(group, topic, {
      onPartitionsRevoked: async (partitions) => {
        // Longer than the 300 ms session: heartbeats must go on while the member finishes.
        await new Promise((resolve) => setTimeout(resolve, 500));
        await first.commit();
        events.push(`revoked ${partitions.length}`);
      },
      onPartitionsAssigned: (partitions) => {
        events.push(`assigned ${partitions.length}`);
      },
    });
    // first reads (and does not commit) everything, then a second member joins.
    const [readFirst] = await pollUntil([first], (r) => r[0].length >= 20);
    const second = make(group, topic, { onPartitionsAssigned: () => void events.push('second assigned') });
    const [, readSecond] = await pollUntil([first, second], () => exactCover([first, second], topic, 2));
    expect(readSecond).toEqual([]);
    expect(readFirst).toHaveLength(20);
    expect(events).toEqual(['assigned 2', 'revoked 2', 'second assigned', 'assigned 1']);
  });

  it('starts where auto_offset_reset says when the group never committed', async () => {
    const topic = fresh('reset');
    await f().log.createTopic({ name: topic, partitions: 1 });
    await fill(f().log, topic, 5);
    const latest = make(fresh('late'), topic, { autoOffsetReset: 'latest' });
    expect(await latest.poll({ maxWaitMs: 50 })).toEqual([]);
    await f().log.produce(topic, 0, [{ value: Buffer.from('new') }]);
    const got = await latest.poll({ maxWaitMs: 2_000 });
    expect(valuesOf(got)).toEqual(['new']);
    expect(got[0]).toMatchObject({ topic, partition: 0, offset: 5 });
  });

  it('rebalances when a subscribed topic appears, and reads it from the start', async () => {
    const topic = fresh('later');
    const c = make(fresh('g'), topic);
    expect(await c.poll({ maxWaitMs: 20 })).toEqual([]);
    expect(c.assignment()).toEqual([]);
    await f().log.createTopic({ name: topic, partitions: 2 });
    await fill(f().log, topic, 1);
    // The next heartbeat sees the new topic; the member rejoins and gets both partitions.
    const [read] = await pollUntil([c], (r) => exactCover([c], topic, 2) && r[0].length === 2);
    expect(valuesOf(read).sort()).toEqual(['0:0', '1:0']);
  });

  it('hands out small polls in order with no gap, fetching each record from the log once', async () => {
    const topic = fresh('small');
    await f().log.createTopic({ name: topic, partitions: 1 });
    await fill(f().log, topic, 50);
    const c = make(fresh('g'), topic);
    const offsets: number[] = [];
    while (offsets.length < 50) offsets.push(...(await c.poll({ maxRecords: 7, maxWaitMs: 1_000 })).map((r) => r.offset));
    expect(offsets).toEqual(Array.from({ length: 50 }, (_, i) => i));
    await expectLogError(c.poll({ maxRecords: 0 }), 'INVALID_REQUEST');
    // Records past a poll's maxRecords wait in the consumer for the next poll.
    const fetched = await f().telemetry.registry.getSingleMetricAsString('tributary_log_fetch_records_total');
    expect(fetched).toContain(`tributary_log_fetch_records_total{topic="${topic}"} 50`);
  });

  it('wakes a long poll as soon as records arrive', async () => {
    const topic = fresh('wait');
    await f().log.createTopic({ name: topic, partitions: 3 });
    const c = make(fresh('g'), topic);
    await c.poll();
    const polled = c.poll({ maxWaitMs: 20_000 });
    await f().log.produce(topic, 2, [{ value: Buffer.from('hello') }]);
    expect(valuesOf(await polled)).toEqual(['hello']);
  });

  it('leaves an idle partition waiting at its leader: one request per partition while nothing arrives, woken by the next record', async () => {
    const topic = fresh('idle');
    await f().log.createTopic({ name: topic, partitions: 4 });
    const c = make(fresh('g'), topic);
    const log = f().log;
    const fetch = log.fetch.bind(log);
    const asked: string[] = [];
    log.fetch = (request) => {
      if (request.topic === topic) asked.push(`${request.partition}${request.maxWaitMs ? ' parked' : ''}`);
      return fetch(request);
    };
    try {
      // Each poll waits 100 ms: 20 polls of an idle member over 2 s.
      for (let i = 0; i < 20; i++) await c.poll({ maxWaitMs: 100 });
      // A read of each partition, then each left waiting (every 500 ms a fetch and a wait each, before).
      expect(asked.sort()).toEqual(['0', '0 parked', '1', '1 parked', '2', '2 parked', '3', '3 parked']);
      const polled = c.poll({ maxWaitMs: 20_000 });
      await log.produce(topic, 1, [{ value: Buffer.from('awake') }]);
      expect(valuesOf(await polled)).toEqual(['awake']);
    } finally {
      log.fetch = fetch;
    }
  });
});
