import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ErrorCode } from '../../src/errors.js';
import { TributaryError } from '../../src/errors.js';
import type { LogBackend } from '../../src/log/backend.js';
import { encodeRecordBatch } from '../../src/log/record-batch.js';
import type { ConsumedRecord, ProducerRecord } from '../../src/log/types.js';

export interface ConformanceOptions {
  /** The backend's largest accepted batch; the suite produces one a byte over it. Default 16 MiB. */
  maxRecordBytes?: number;
  /**
   * Where the cluster cannot create topics (a mock without CreateTopics): how the suite creates
   * them instead, and why. The backend must then refuse createTopic with UNSUPPORTED_BY_CLUSTER.
   */
  topicsCreatedOutside?: { create(name: string, partitions: number): Promise<void>; reason: string };
  /**
   * What a fetch's byte budget counts in: whole record batches (default, the embedded engine), or
   * records, for a backend reading through a client that hands out records (librdkafka).
   */
  fetchUnit?: 'batch' | 'record';
  /**
   * Why the cluster cannot delete topics (a mock without DeleteTopics): the backend must then
   * refuse deleteTopic with UNSUPPORTED_BY_CLUSTER and keep the topic.
   */
  topicsNotDeletable?: string;
  /** Checks this backend's cluster cannot make, each with the reason; they are listed as skipped. */
  cannotCheck?: { offsetForTimestamp?: string };
}

export async function expectLogError(promise: Promise<unknown>, code: ErrorCode): Promise<TributaryError> {
  const err = await promise.then(
    () => {
      throw new Error(`expected a ${code} error, but the call succeeded`);
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(TributaryError);
  expect((err as TributaryError).code).toBe(code);
  return err as TributaryError;
}

export function textRecords(values: string[], extra: Partial<ProducerRecord> = {}): ProducerRecord[] {
  return values.map((v) => ({ value: Buffer.from(v), ...extra }));
}

export function values(records: ConsumedRecord[]): string[] {
  return records.map((r) => r.value?.toString() ?? '<null>');
}

/** Reads a partition from `from` to its high watermark, following nextOffset. */
export async function readAll(backend: LogBackend, topic: string, partition: number, from = 0): Promise<ConsumedRecord[]> {
  const out: ConsumedRecord[] = [];
  let offset = from;
  for (;;) {
    const result = await backend.fetch({ topic, partition, offset });
    out.push(...result.records);
    if (result.nextOffset >= result.highWatermark || result.records.length === 0) return out;
    offset = result.nextOffset;
  }
}

/**
 * The behaviour every log backend shares (the embedded engine, Apache Kafka). Each test uses its
 * own topic, so one started backend serves the whole block.
 */
export function runLogBackendConformance(name: string, make: () => Promise<LogBackend>, options: ConformanceOptions = {}): void {
  describe(`log backend conformance: ${name}`, () => {
    let backend: LogBackend;
    const run = randomUUID().slice(0, 8);
    let n = 0;
    const topicName = (label: string) => `conf-${run}-${label}-${n++}`;
    const outside = options.topicsCreatedOutside;
    const create = async (name: string, partitions: number) => {
      if (!outside) return backend.createTopic({ name, partitions });
      await outside.create(name, partitions);
      return backend.describeTopic(name);
    };
    const newTopic = async (label: string, partitions = 1) => {
      const topic = topicName(label);
      await create(topic, partitions);
      return topic;
    };
    /** A check the cluster cannot make is listed as skipped, with the reason in its title. */
    const itUnless = (reason: string | undefined, title: string, fn: () => Promise<void>) =>
      reason ? it.skip(`${title} [not checkable here: ${reason}]`, fn) : it(title, fn);

    beforeAll(async () => {
      backend = await make();
    });
    afterAll(async () => {
      await backend?.shutdown();
    });

    it('creates, lists and describes topics', async () => {
      const topic = topicName('topics');
      if (outside) await expectLogError(backend.createTopic({ name: topic, partitions: 3 }), 'UNSUPPORTED_BY_CLUSTER');
      const created = await create(topic, 3);
      expect(created.name).toBe(topic);
      expect(created.partitions.map((p) => p.partition)).toEqual([0, 1, 2]);
      for (const p of created.partitions) {
        expect(p.replicas).toContain(p.leader);
        expect(p.isr).toContain(p.leader);
        expect(p).toMatchObject({ logStartOffset: 0, highWatermark: 0 });
      }
      expect((await backend.listTopics()).map((t) => t.name)).toContain(topic);
      expect((await backend.describeTopic(topic)).partitions).toHaveLength(3);
      expect(backend.partitionCount(topic)).toBe(3);
      expect(backend.partitionCount(`${topic}-missing`)).toBeUndefined();

      await expectLogError(backend.createTopic({ name: topic, partitions: 3 }), 'TOPIC_EXISTS');
      const again = await backend.createTopic({ name: topic, partitions: 5 }, { ifNotExists: true });
      expect(again.partitions).toHaveLength(3);
      await expectLogError(backend.createTopic({ name: '../escape', partitions: 1 }), 'INVALID_TOPIC');
      await expectLogError(backend.createTopic({ name: topicName('zero'), partitions: 0 }), 'INVALID_TOPIC');
    });

    it('round-trips keys, values, headers and timestamps', async () => {
      const topic = await newTopic('roundtrip');
      const before = Date.now();
      const result = await backend.produce(topic, 0, [
        { key: Buffer.from('k1'), value: Buffer.from('v1'), timestamp: 1_700_000_000_123, headers: [{ key: 'content-type', value: 'application/x-protobuf' }] },
        { key: null, value: null, headers: [{ key: 'bin', value: new Uint8Array([0, 255, 7]) }] },
        { key: Buffer.alloc(0), value: Buffer.alloc(0), headers: [{ key: 'empty', value: new Uint8Array(0) }] },
      ]);
      expect(result).toEqual({ topic, partition: 0, baseOffset: 0 });
      const fetched = await backend.fetch({ topic, partition: 0, offset: 0 });
      expect(fetched.highWatermark).toBe(3);
      expect(fetched.nextOffset).toBe(3);
      const [a, b, c] = fetched.records;
      expect(a).toMatchObject({ topic, partition: 0, offset: 0, timestamp: 1_700_000_000_123 });
      expect(a.key?.toString()).toBe('k1');
      expect(a.value?.toString()).toBe('v1');
      expect(a.headers.map((h) => [h.key, h.value.toString()])).toEqual([['content-type', 'application/x-protobuf']]);
      expect(b.key).toBeNull();
      expect(b.value).toBeNull();
      expect([...b.headers[0].value]).toEqual([0, 255, 7]);
      expect(b.timestamp).toBeGreaterThanOrEqual(before);
      // Empty is not absent: a zero-length key or value comes back zero-length, not null.
      expect(c.key?.length).toBe(0);
      expect(c.value?.length).toBe(0);
      expect(c.headers.map((h) => [h.key, h.value.length])).toEqual([['empty', 0]]);
    });

    it('appends an already-encoded record batch as it was encoded, at the next offsets', async () => {
      const topic = await newTopic('encoded');
      await backend.produce(topic, 0, textRecords(['first']));
      const batch = encodeRecordBatch([
        { key: Buffer.from('k'), value: Buffer.from('v1'), timestamp: 1_700_000_000_000, headers: [{ key: 'content-type', value: 'application/x-protobuf' }] },
        { key: null, value: Buffer.from('v2'), timestamp: 1_700_000_000_005 },
      ]);
      const sent = Buffer.from(batch);
      expect((await backend.produceBatch(topic, 0, batch)).baseOffset).toBe(1);
      expect(batch.equals(sent)).toBe(true); // the caller keeps its bytes
      await backend.produce(topic, 0, textRecords(['last']));
      const records = await readAll(backend, topic, 0);
      expect(values(records)).toEqual(['first', 'v1', 'v2', 'last']);
      expect(records.map((r) => r.offset)).toEqual([0, 1, 2, 3]);
      expect(records[1]).toMatchObject({ timestamp: 1_700_000_000_000 });
      expect(records[1].key?.toString()).toBe('k');
      expect(records[1].headers.map((h) => [h.key, h.value.toString()])).toEqual([['content-type', 'application/x-protobuf']]);
      expect(records[2]).toMatchObject({ key: null, timestamp: 1_700_000_000_005 });
    });

    it('refuses a corrupt, truncated or oversized encoded batch and stores nothing of it', async () => {
      const topic = await newTopic('encoded-bad');
      const batch = encodeRecordBatch(textRecords(['a', 'b']));
      const flipped = Buffer.from(batch);
      flipped[flipped.length - 1] ^= 0xff;
      await expectLogError(backend.produceBatch(topic, 0, flipped), 'INVALID_RECORD');
      await expectLogError(backend.produceBatch(topic, 0, batch.subarray(0, batch.length - 3)), 'INVALID_RECORD');
      const huge = encodeRecordBatch([{ value: Buffer.alloc(options.maxRecordBytes ?? 16 * 1024 ** 2, 1) }]);
      await expectLogError(backend.produceBatch(topic, 0, huge), 'RECORD_TOO_LARGE');
      await expectLogError(backend.produceBatch(topicName('missing'), 0, batch), 'UNKNOWN_TOPIC');
      expect((await backend.describeTopic(topic)).partitions[0].highWatermark).toBe(0);
      await backend.produceBatch(topic, 0, batch);
      expect(values(await readAll(backend, topic, 0))).toEqual(['a', 'b']);
    });

    it('keeps records in the order they were produced', async () => {
      const topic = await newTopic('order');
      const expected: string[] = [];
      for (let batch = 0; batch < 10; batch++) {
        const vs = Array.from({ length: 5 }, (_, i) => `b${batch}r${i}`);
        expected.push(...vs);
        expect((await backend.produce(topic, 0, textRecords(vs))).baseOffset).toBe(batch * 5);
      }
      const records = await readAll(backend, topic, 0);
      expect(values(records)).toEqual(expected);
      expect(records.map((r) => r.offset)).toEqual(expected.map((_, i) => i));
    });

    it('gives many concurrent producers distinct offsets and keeps each one in order', async () => {
      const topic = await newTopic('concurrent', 2);
      const producers = 16;
      const batches = 8;
      await Promise.all(
        Array.from({ length: producers }, async (_, p) => {
          for (let b = 0; b < batches; b++) await backend.produce(topic, p % 2, textRecords([`p${p}-${b}-0`, `p${p}-${b}-1`]));
        }),
      );
      for (const partition of [0, 1]) {
        const records = await readAll(backend, topic, partition);
        expect(records).toHaveLength((producers / 2) * batches * 2);
        expect(records.map((r) => r.offset)).toEqual(records.map((_, i) => i));
        for (let p = partition; p < producers; p += 2) {
          const mine = values(records).filter((v) => v.startsWith(`p${p}-`));
          expect(mine).toEqual(Array.from({ length: batches * 2 }, (_, i) => `p${p}-${i >> 1}-${i & 1}`));
        }
      }
    });

    it(`fetches up to a byte budget, but always at least one ${options.fetchUnit ?? 'batch'}`, async () => {
      const topic = await newTopic('budget');
      const big = 'x'.repeat(1000);
      for (let i = 0; i < 6; i++) await backend.produce(topic, 0, textRecords([`${i}:${big}`, `${i}:${big}`]));
      const one = await backend.fetch({ topic, partition: 0, offset: 0, maxBytes: 1 });
      const unit = options.fetchUnit === 'record' ? [0] : [0, 1];
      expect(one.records.map((r) => r.offset)).toEqual(unit);
      expect(one.nextOffset).toBe(unit.length);
      const some = await backend.fetch({ topic, partition: 0, offset: 0, maxBytes: 4500 });
      expect(some.records.length).toBeGreaterThanOrEqual(2);
      expect(some.records.length).toBeLessThan(12);
      const middle = await backend.fetch({ topic, partition: 0, offset: 5, maxBytes: 1 });
      expect(middle.records[0].offset).toBe(5);
      expect((await readAll(backend, topic, 0)).map((r) => r.offset)).toEqual(Array.from({ length: 12 }, (_, i) => i));
    });

    it('serves readers going through a partition one small budget at a time, each record once and in order', async () => {
      const topic = await newTopic('readers');
      const texts = (b: number) => Array.from({ length: 10 }, (_, i) => `${b}:${i}:${'y'.repeat(200)}`);
      const batch = (b: number) => textRecords(texts(b));
      for (let b = 0; b < 40; b++) await backend.produce(topic, 0, batch(b));
      const oneBatch = 10 * 220;
      // Two readers in step, one a third of the way behind, and more records arriving halfway.
      const readers = [0, 0, 130].map((offset) => ({ offset, seen: [] as string[] }));
      for (let step = 0; readers.some((r) => r.offset < 600); step++) {
        if (step === 20) for (let b = 40; b < 60; b++) await backend.produce(topic, 0, batch(b));
        for (const reader of readers) {
          if (reader.offset >= 600) continue;
          const result = await backend.fetch({ topic, partition: 0, offset: reader.offset, maxBytes: oneBatch });
          expect(result.records.length).toBeGreaterThan(0);
          expect(result.records[0].offset).toBe(reader.offset);
          reader.seen.push(...values(result.records));
          reader.offset = result.nextOffset;
        }
      }
      const all = Array.from({ length: 60 }, (_, b) => texts(b)).flat();
      expect(readers[0].seen).toEqual(all);
      expect(readers[1].seen).toEqual(all);
      expect(readers[2].seen).toEqual(all.slice(130));
    });

    it('wakes a long poll when a record is produced', async () => {
      const topic = await newTopic('longpoll');
      await backend.produce(topic, 0, textRecords(['first']));
      const waiting = backend.fetch({ topic, partition: 0, offset: 1, maxWaitMs: 20_000 });
      await backend.produce(topic, 0, textRecords(['second']));
      const result = await waiting;
      expect(values(result.records)).toEqual(['second']);
      expect(result.nextOffset).toBe(2);
    });

    it('answers a long poll with no records when nothing arrives in time', async () => {
      const topic = await newTopic('timeout');
      const result = await backend.fetch({ topic, partition: 0, offset: 0, maxWaitMs: 50 });
      expect(result).toMatchObject({ records: [], highWatermark: 0, nextOffset: 0 });
    });

    it('delivers records produced with acks 0', async () => {
      const topic = await newTopic('acks0');
      const waiting = backend.fetch({ topic, partition: 0, offset: 0, maxWaitMs: 20_000 });
      expect((await backend.produce(topic, 0, textRecords(['fire']), { acks: 0 })).baseOffset).toBe(-1);
      expect(values((await waiting).records)).toEqual(['fire']);
    });

    itUnless(options.cannotCheck?.offsetForTimestamp, 'finds the first offset at or after a timestamp', async () => {
      const topic = await newTopic('timestamps');
      for (const ts of [1000, 2000, 3000]) await backend.produce(topic, 0, textRecords([`t${ts}`], { timestamp: ts }));
      expect(await backend.offsetForTimestamp(topic, 0, 0)).toBe(0);
      expect(await backend.offsetForTimestamp(topic, 0, 1500)).toBe(1);
      expect(await backend.offsetForTimestamp(topic, 0, 3000)).toBe(2);
      expect(await backend.offsetForTimestamp(topic, 0, 5000)).toBe(3);
    });

    it('refuses an unknown topic', async () => {
      const topic = topicName('missing');
      await expectLogError(backend.produce(topic, 0, textRecords(['x'])), 'UNKNOWN_TOPIC');
      await expectLogError(backend.fetch({ topic, partition: 0, offset: 0 }), 'UNKNOWN_TOPIC');
      await expectLogError(backend.describeTopic(topic), 'UNKNOWN_TOPIC');
    });

    it('refuses a partition out of range', async () => {
      const topic = await newTopic('partitions', 2);
      const err = await expectLogError(backend.produce(topic, 2, textRecords(['x'])), 'UNKNOWN_PARTITION');
      expect(err.message).toContain('2');
      await expectLogError(backend.fetch({ topic, partition: -1, offset: 0 }), 'UNKNOWN_PARTITION');
    });

    it('refuses an offset out of range and names the valid range', async () => {
      const topic = await newTopic('range');
      await backend.produce(topic, 0, textRecords(['a', 'b', 'c']));
      const err = await expectLogError(backend.fetch({ topic, partition: 0, offset: 10 }), 'OFFSET_OUT_OF_RANGE');
      expect(err.message).toMatch(/\b0\b/);
      expect(err.message).toMatch(/\b3\b/);
      expect((await backend.fetch({ topic, partition: 0, offset: 3 })).records).toEqual([]);
    });

    it('deletes a topic with its records and committed offsets; one created again under its name starts empty at offset 0', async () => {
      await expectLogError(backend.deleteTopic(topicName('never')), 'UNKNOWN_TOPIC');
      const topic = await newTopic('deleted', 2);
      await backend.produce(topic, 0, textRecords(['a', 'b', 'c']));
      await backend.produce(topic, 1, textRecords(['x']));
      if (options.topicsNotDeletable) {
        const err = await expectLogError(backend.deleteTopic(topic), 'UNSUPPORTED_BY_CLUSTER');
        expect(err.message).toContain('DeleteTopics');
        expect(values(await readAll(backend, topic, 0))).toEqual(['a', 'b', 'c']);
        return;
      }
      const group = `${topic}-readers`;
      await backend.commitOffsets(group, [{ topic, partition: 0, offset: 2 }]);
      const other = await newTopic('kept');
      await backend.commitOffsets(group, [{ topic: other, partition: 0, offset: 0 }]);

      await backend.deleteTopic(topic);
      expect((await backend.listTopics()).map((t) => t.name)).not.toContain(topic);
      expect(backend.partitionCount(topic)).toBeUndefined();
      await expectLogError(backend.describeTopic(topic), 'UNKNOWN_TOPIC');
      await expectLogError(backend.produce(topic, 0, textRecords(['late'])), 'UNKNOWN_TOPIC');
      await expectLogError(backend.fetch({ topic, partition: 0, offset: 0 }), 'UNKNOWN_TOPIC');
      await expectLogError(backend.deleteTopic(topic), 'UNKNOWN_TOPIC');
      // The group keeps its offsets on other topics.
      expect((await backend.fetchOffsets(group)).map((o) => [o.topic, o.offset])).toEqual([[other, 0]]);

      const again = await create(topic, 1);
      expect(again.partitions).toHaveLength(1);
      expect(again.partitions[0]).toMatchObject({ logStartOffset: 0, highWatermark: 0 });
      expect((await backend.produce(topic, 0, textRecords(['new']))).baseOffset).toBe(0);
      expect(values(await readAll(backend, topic, 0))).toEqual(['new']);
      expect(await backend.fetchOffsets(group, [{ topic, partition: 0 }])).toEqual([]);
    });

    it('refuses a record over the size limit and stays usable', async () => {
      const topic = await newTopic('large');
      await backend.produce(topic, 0, textRecords(['before']));
      const huge = Buffer.alloc((options.maxRecordBytes ?? 16 * 1024 ** 2) + 1, 1);
      await expectLogError(backend.produce(topic, 0, [{ value: huge }]), 'RECORD_TOO_LARGE');
      await backend.produce(topic, 0, textRecords(['after']));
      expect(values(await readAll(backend, topic, 0))).toEqual(['before', 'after']);
    });
  });
}
