import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeInitProducerIdRequest } from '../../src/kafka/messages/init-producer-id-request.js';
import { readInitProducerIdResponse } from '../../src/kafka/messages/init-producer-id-response.js';
import { writeProduceRequest } from '../../src/kafka/messages/produce-request.js';
import { readProduceResponse } from '../../src/kafka/messages/produce-response.js';
import { KafkaReader } from '../../src/kafka/protocol/reader.js';
import type { EmbeddedBackend } from '../../src/log/embedded/embedded-backend.js';
import { encodeRecordBatch, sealBatch } from '../../src/log/record-batch.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { clientAvailable, type KafkaGateway, PYTHON, run, startKafkaGateway } from './helpers.js';
import { header, RawClient } from './raw-client.js';

const OUT_OF_ORDER_SEQUENCE_NUMBER = 45;

/** A batch of an idempotent producer: its values from sequence `firstSeq` on. */
function idempotentBatch(producerId: number, firstSeq: number, values: string[]): Buffer {
  const batch = encodeRecordBatch(values.map((v) => ({ value: Buffer.from(v) })));
  batch.writeBigInt64BE(BigInt(producerId), 43);
  batch.writeInt16BE(0, 51); // epoch
  batch.writeInt32BE(firstSeq, 53);
  sealBatch(batch, 0, batch.length);
  return batch;
}

/** One connection speaking raw Produce v7 and InitProducerId v1 frames. */
class Producer {
  private correlation = 1;
  private constructor(private readonly c: RawClient) {}

  static async open(g: KafkaGateway): Promise<Producer> {
    return new Producer(await RawClient.open(g.bootstrap));
  }

  /** `count` producer ids, the requests pipelined. */
  async initProducerIds(count = 1): Promise<number[]> {
    const first = this.correlation;
    for (let i = 0; i < count; i++) {
      const id = this.correlation++;
      this.c.send((w) => {
        header(22, 1, id)(w);
        writeInitProducerIdRequest(w, 1, { transactionalId: null, transactionTimeoutMs: 60_000 });
      });
    }
    const ids: number[] = [];
    for (let i = 0; i < count; i++) {
      const r = new KafkaReader((await this.c.next())!);
      expect(r.int32()).toBe(first + i);
      const response = readInitProducerIdResponse(r, 1);
      expect(response.errorCode).toBe(0);
      ids.push(response.producerId);
    }
    return ids;
  }

  async produce(topic: string, partition: number, records: Buffer): Promise<{ errorCode: number; baseOffset: number }> {
    const id = this.correlation++;
    this.c.send((w) => {
      header(0, 7, id)(w);
      writeProduceRequest(w, 7, { acks: -1, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: partition, records }] }] });
    });
    const r = new KafkaReader((await this.c.next())!);
    expect(r.int32()).toBe(id);
    return readProduceResponse(r, 7).responses[0].partitionResponses[0];
  }

  close(): void {
    this.c.close();
  }
}

async function storedValues(g: KafkaGateway, topic: string, partition: number): Promise<string[]> {
  const { records } = await (g.gateway.backend as EmbeddedBackend).fetch({ topic, partition, offset: 0, maxBytes: 64 * 1024 * 1024 });
  return records.map((r) => r.value!.toString().trimEnd());
}

describe("an idempotent producer's state across a gateway restart or its topic's deletion (raw protocol)", () => {
  let dataDir: string;
  let g: KafkaGateway | undefined;
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'tributary-kafka-restart-'));
  });
  afterEach(async () => {
    await g?.stop();
    g = undefined;
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers a batch stored before the restart with its offset, stores the next sequence and refuses a gap', async () => {
    g = await startKafkaGateway({ dataDir });
    let p = await Producer.open(g);
    const [producerId] = await p.initProducerIds();
    // Five batches in flight before the restart, two records each: sequences 0-9.
    const before = [];
    for (let b = 0; b < 5; b++) {
      const values = [`seq-${2 * b}`, `seq-${2 * b + 1}`];
      before.push(await p.produce('events_in', 1, idempotentBatch(producerId, 2 * b, values)));
    }
    expect(before.map((r) => r.errorCode)).toEqual([0, 0, 0, 0, 0]);
    p.close();
    await g.stop();

    g = await startKafkaGateway({ dataDir });
    p = await Producer.open(g);
    // Each of the last five batches, sent again after the restart, gets the offset it was stored at.
    for (const b of [4, 0, 2]) {
      const again = await p.produce('events_in', 1, idempotentBatch(producerId, 2 * b, [`seq-${2 * b}`, `seq-${2 * b + 1}`]));
      expect([again.errorCode, again.baseOffset]).toEqual([0, before[b].baseOffset]);
    }
    const gap = await p.produce('events_in', 1, idempotentBatch(producerId, 12, ['seq-12']));
    expect(gap.errorCode).toBe(OUT_OF_ORDER_SEQUENCE_NUMBER);
    const next = await p.produce('events_in', 1, idempotentBatch(producerId, 10, ['seq-10']));
    expect([next.errorCode, next.baseOffset]).toEqual([0, before[4].baseOffset + 2]);
    p.close();
    expect(await storedValues(g, 'events_in', 1)).toEqual(Array.from({ length: 11 }, (_, i) => `seq-${i}`));
  }, 60_000);

  it("forgets a deleted topic's producers: in the topic created again, a batch sent as before is stored, not answered with the old topic's offset", async () => {
    g = await startKafkaGateway({ dataDir, topics: { phoenix: { partitions: 1 } } });
    const p = await Producer.open(g);
    const [producerId] = await p.initProducerIds();
    for (let seq = 0; seq < 4; seq++) expect((await p.produce('phoenix', 0, idempotentBatch(producerId, seq, [`old-${seq}`]))).errorCode).toBe(0);
    expect((await fetch(`${g.adminUrl}/api/v1/topics/phoenix`, { method: 'DELETE' })).status).toBe(200);
    const created = await fetch(`${g.adminUrl}/api/v1/topics`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'phoenix', partitions: 1 }) });
    expect(created.status).toBe(201);
    // A new topic has no producer state (Kafka's new topic id): whatever the sequence, the batch is
    // stored; the old topic's would have taken these for batches sent again, and stored nothing.
    const again = await p.produce('phoenix', 0, idempotentBatch(producerId, 3, ['new-3']));
    expect([again.errorCode, again.baseOffset]).toEqual([0, 0]);
    expect((await p.produce('phoenix', 0, idempotentBatch(producerId, 4, ['new-4']))).errorCode).toBe(0);
    p.close();
    expect(await storedValues(g, 'phoenix', 0)).toEqual(['new-3', 'new-4']);
  }, 60_000);

  it('hands out producer ids after a restart that were never handed out before it', async () => {
    g = await startKafkaGateway({ dataDir });
    let p = await Producer.open(g);
    // More ids than one block, and than milliseconds pass until the restart is done.
    const before = await p.initProducerIds(5000);
    p.close();
    await g.stop();
    g = await startKafkaGateway({ dataDir });
    p = await Producer.open(g);
    const [after] = await p.initProducerIds();
    p.close();
    expect(new Set(before).size).toBe(before.length);
    expect(after).toBeGreaterThan(Math.max(...before));
  }, 60_000);
});

describe('python3-confluent-kafka (librdkafka 2.0) with enable.idempotence across a gateway restart', () => {
  const available = clientAvailable(PYTHON, ['-c', 'import confluent_kafka'], 'python3-confluent-kafka');

  it.runIf(available)('stores every record once, in order, at the offset the client was told, though the restart cut off Produce responses', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tributary-kafka-restart-'));
    // The client always has a Produce waiting, and fsync always keeps each in hand a while: the
    // shutdown catches one stored and not yet answered (its response is dropped), and the client
    // sends it again after the restart. Without the recovered state it is stored twice.
    const log = { fsync: 'always' };
    let g = await startKafkaGateway({ dataDir, log });
    try {
      const port = g.gateway.kafkaAddress()!.port;
      const total = 20_000;
      const client = run(PYTHON, [join(import.meta.dirname, 'clients', 'idempotent_producer.py'), g.bootstrap, 'events_in', '0', String(total)], { timeoutMs: 120_000 });
      const backend = () => g.gateway.backend as EmbeddedBackend;
      while ((await backend().describeTopic('events_in')).partitions[0].highWatermark < total / 3) await sleep(20);
      await g.stop();
      // The same port and data directory: the client reconnects to the address it knows.
      g = await startKafkaGateway({ dataDir, log, kafka: { listener: `127.0.0.1:${port}` } });
      const { code, stdout, stderr } = await client;
      expect(code, stderr).toBe(0);
      const out = JSON.parse(stdout.toString()) as { offsets: Record<string, number>; errors: string[]; undelivered: number };
      expect([out.errors, out.undelivered]).toEqual([[], 0]);
      const stored = await storedValues(g, 'events_in', 0);
      const expected = Array.from({ length: total }, (_, i) => `m-${i}`);
      expect(stored).toEqual(expected);
      expect(expected.map((v) => out.offsets[v])).toEqual(expected.map((_, i) => i));
    } finally {
      await g.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 150_000);
});
