import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readApiVersionsResponse } from '../../src/kafka/messages/api-versions-response.js';
import { writeFetchRequest } from '../../src/kafka/messages/fetch-request.js';
import { readFetchResponse } from '../../src/kafka/messages/fetch-response.js';
import { writeListOffsetsRequest } from '../../src/kafka/messages/list-offsets-request.js';
import { readListOffsetsResponse } from '../../src/kafka/messages/list-offsets-response.js';
import { readMetadataResponse } from '../../src/kafka/messages/metadata-response.js';
import { writeProduceRequest } from '../../src/kafka/messages/produce-request.js';
import { readProduceResponse } from '../../src/kafka/messages/produce-response.js';
import type { EmbeddedBackend } from '../../src/log/embedded/embedded-backend.js';
import { decodeRecordBatches, encodeRecordBatch, LOG_OVERHEAD, sealBatch } from '../../src/log/record-batch.js';
import { writeMetadataRequest } from '../../src/kafka/messages/metadata-request.js';
import { KafkaReader } from '../../src/kafka/protocol/reader.js';
import { KafkaWriter } from '../../src/kafka/protocol/writer.js';
import { type KafkaGateway, startKafkaGateway } from './helpers.js';
import { header, RawClient } from './raw-client.js';


describe('the Kafka listener framing', () => {
  let g: KafkaGateway;
  beforeAll(async () => {
    g = await startKafkaGateway();
  }, 60_000);
  afterAll(() => g?.stop());

  it('answers ApiVersions at an unknown version with a v0 body: UNSUPPORTED_VERSION and the versions served', async () => {
    const c = await RawClient.open(g.bootstrap);
    c.send(header(18, 99, 7));
    const r = new KafkaReader((await c.next())!);
    expect(r.int32()).toBe(7);
    const body = readApiVersionsResponse(r, 0);
    expect(body.errorCode).toBe(35);
    const served = Object.fromEntries(body.apiKeys.map((k) => [k.apiKey, [k.minVersion, k.maxVersion]]));
    expect(served).toMatchObject({ 0: [0, 9], 1: [4, 12], 2: [1, 7], 3: [0, 12], 18: [0, 3] });
    c.close();
  });

  it('counts requests at versions it does not serve in one series per API, so no client can grow /metrics', async () => {
    // ApiVersions is answered at any version and keeps the connection; other APIs close it.
    const c = await RawClient.open(g.bootstrap);
    const versions = Array.from({ length: 500 }, (_, i) => 100 + i * 60);
    for (const [i, version] of versions.entries()) c.send(header(18, version, i));
    for (let i = 0; i < versions.length; i++) expect(new KafkaReader((await c.next())!).int32()).toBe(i);
    c.close();
    for (const version of [13, 500, 32767]) {
      const m = await RawClient.open(g.bootstrap);
      m.send(header(3, version, 1));
      expect(await m.next()).toBeNull();
    }
    const text = await (await fetch(`${g.adminUrl}/metrics`)).text();
    const series = text.split('\n').filter((l) => l.startsWith('tributary_kafka_requests_total{'));
    // Other tests of this file add their own requests to the counts.
    const count = (api: string) => Number(series.find((l) => l.startsWith(`tributary_kafka_requests_total{api="${api}",version="unsupported"} `))?.split(' ')[1]);
    expect(count('ApiVersions')).toBeGreaterThanOrEqual(500);
    expect(count('Metadata')).toBeGreaterThanOrEqual(3);
    expect(series.length).toBeLessThan(20);
  });

  it('answers pipelined requests in order, with the flexible header and body from Metadata v9 on', async () => {
    const c = await RawClient.open(g.bootstrap);
    c.send((w) => {
      header(3, 12, 1, 2)(w);
      writeMetadataRequest(w, 12, { topics: [{ name: 'otlp_spans' }, { name: 'nope' }] });
    });
    c.send((w) => {
      header(3, 1, 2)(w);
      writeMetadataRequest(w, 1, { topics: null });
    });
    const first = new KafkaReader((await c.next())!);
    expect(first.int32()).toBe(1);
    first.skipTaggedFields();
    const v12 = readMetadataResponse(first, 12);
    expect(v12.topics.map((t) => [t.name, t.errorCode, t.partitions.length])).toEqual([
      ['otlp_spans', 0, 2],
      ['nope', 3, 0],
    ]);
    expect(v12.brokers[0].port).toBe(Number(g.bootstrap.split(':')[1]));
    const second = new KafkaReader((await c.next())!);
    expect(second.int32()).toBe(2);
    expect(readMetadataResponse(second, 1).topics.length).toBe(5);
    c.close();
  });

  it('answers a Metadata naming topics many times with each topic once, as Kafka does (200,000 names of 2.4 MB were answered with 45 MB)', async () => {
    const c = await RawClient.open(g.bootstrap);
    const names = Array.from({ length: 3_000 }, (_, i) => ({ name: ['otlp_spans', 'nope', 'otlp_logs'][i % 3] }));
    c.send((w) => {
      header(3, 4, 7)(w);
      writeMetadataRequest(w, 4, { topics: names, allowAutoTopicCreation: false });
    });
    const r = new KafkaReader((await c.next())!);
    expect(r.int32()).toBe(7);
    expect(readMetadataResponse(r, 4).topics.map((t) => [t.name, t.errorCode])).toEqual([
      ['otlp_spans', 0],
      ['nope', 3],
      ['otlp_logs', 0],
    ]);
    c.close();
  });

  it('answers each bad batch of a Produce with its own error, appends the good one, and keeps the connection', async () => {
    const batch = () => encodeRecordBatch([{ value: Buffer.from('ok') }]);
    const badCrc = batch();
    badCrc[badCrc.length - 1] ^= 0xff;
    const oldFormat = batch();
    oldFormat[16] = 1; // magic 1: a message set of Kafka 0.10
    const compressedGarbage = batch();
    compressedGarbage.writeInt16BE(1, 21); // flagged gzip, records are not
    const partitions = [batch(), badCrc, oldFormat, compressedGarbage];
    const c = await RawClient.open(g.bootstrap);
    c.send((w) => {
      header(0, 7, 9)(w);
      writeProduceRequest(w, 7, { acks: -1, timeoutMs: 5000, topicData: [{ name: 'events_in', partitionData: partitions.map((records, i) => ({ index: i % 2, records })) }] });
    });
    const r = new KafkaReader((await c.next())!);
    expect(r.int32()).toBe(9);
    const answer = readProduceResponse(r, 7).responses[0].partitionResponses;
    // NONE; CORRUPT_MESSAGE; UNSUPPORTED_FOR_MESSAGE_FORMAT; CORRUPT_MESSAGE
    expect(answer.map((p) => p.errorCode)).toEqual([0, 2, 43, 2]);
    expect(answer[0].baseOffset).toBeGreaterThanOrEqual(0);
    c.send(header(18, 0, 10));
    expect(new KafkaReader((await c.next())!).int32()).toBe(10);
    c.close();
  });

  it('refuses a batch whose header does not match its records (INVALID_RECORD), so the partition stays readable', async () => {
    const two = () => encodeRecordBatch([{ value: Buffer.from('a') }, { value: Buffer.from('b') }]);
    /** A two-record batch with `patch` applied, its CRC-32C made right again. */
    const patched = (patch: (b: Buffer) => void) => {
      const b = two();
      patch(b);
      sealBatch(b, 0, b.length);
      return b;
    };
    const bad = [
      patched((b) => b.writeInt32BE(0x7fffffff, 57)), // claims 2^31-1 records
      patched((b) => b.writeInt32BE(1, 57)), // claims 1
      patched((b) => b.writeInt32BE(3, 57)), // claims 3
      patched((b) => b.writeInt32BE(100, 23)), // last offset delta 100: 101 offsets for 2 records
      patched((b) => (b[64] = 10)), // the first record's offset delta is 5, not 0
      patched((b) => b.writeInt16BE(0x20, 21)), // a control batch (transaction markers are the broker's)
      patched((b) => b.writeBigInt64BE(7n, 43)), // a producer id with the base sequence -1
      patched((b) => (b[65] = 8)), // the first record's key is 4 bytes long, past its end
      patched((b) => (b[68] = 0x7e)), // the first record has 63 headers, past its end
    ];
    // gzip-compressed records whose first length varint is cut off: CORRUPT_MESSAGE.
    const cutOff = Buffer.concat([two().subarray(0, 61), gzipSync(Buffer.from([0xff, 0xff]))]);
    cutOff.writeInt32BE(cutOff.length - 12, 8);
    cutOff.writeInt16BE(1, 21);
    sealBatch(cutOff, 0, cutOff.length);
    const c = await RawClient.open(g.bootstrap);
    c.send((w) => {
      header(0, 7, 12)(w);
      writeProduceRequest(w, 7, { acks: -1, timeoutMs: 5000, topicData: [{ name: 'otlp_spans', partitionData: [...bad, cutOff, two()].map((records) => ({ index: 0, records })) }] });
    });
    const r = new KafkaReader((await c.next())!);
    expect(r.int32()).toBe(12);
    expect(readProduceResponse(r, 7).responses[0].partitionResponses.map((p) => p.errorCode)).toEqual([87, 87, 87, 87, 87, 87, 87, 87, 87, 2, 0]);
    c.close();
    const stored = await (g.gateway.backend as EmbeddedBackend).fetch({ topic: 'otlp_spans', partition: 0, offset: 0 });
    expect(stored.records.map((rec) => [rec.offset, rec.value?.toString()])).toEqual([
      [0, 'a'],
      [1, 'b'],
    ]);
  });

  it('refuses a zstd bomb (CORRUPT_MESSAGE) and a codec Kafka does not have (UNSUPPORTED_COMPRESSION_TYPE), storing the good batch', async () => {
    const good = () => encodeRecordBatch([{ value: Buffer.from('ok') }]);
    /** A batch whose records section is `records`, flagged with `codec`, its length and CRC-32C right. */
    const compressed = (codec: number, records: Buffer) => {
      const b = Buffer.concat([good().subarray(0, 61), records]);
      b.writeInt32BE(b.length - 12, 8);
      b.writeInt16BE(codec, 21);
      sealBatch(b, 0, b.length);
      return b;
    };
    // 16 KiB of zstd run-length blocks (4 bytes each) that would inflate to 512 MiB.
    const runs = Array.from({ length: 4096 }, (_, i) => {
      const block = Buffer.from([0, 0, 0, 0x78]); // RLE block of 128 KiB of 'x'
      block.writeUIntLE(((128 * 1024) << 3) | (1 << 1) | (i === 4095 ? 1 : 0), 0, 3);
      return block;
    });
    const bomb = compressed(4, Buffer.concat([Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x00]), ...runs]));
    const unknownCodec = compressed(5, good().subarray(61));
    const c = await RawClient.open(g.bootstrap);
    c.send((w) => {
      header(0, 7, 11)(w);
      writeProduceRequest(w, 7, { acks: -1, timeoutMs: 5000, topicData: [{ name: 'events_in', partitionData: [bomb, unknownCodec, good()].map((records, i) => ({ index: i % 2, records })) }] });
    });
    const r = new KafkaReader((await c.next())!);
    expect(r.int32()).toBe(11);
    expect(readProduceResponse(r, 7).responses[0].partitionResponses.map((p) => p.errorCode)).toEqual([2, 76, 0]);
    c.close();
  });

  it("stores an idempotent producer's batch once when it is sent again, and refuses a sequence gap", async () => {
    const idempotent = (firstSeq: number, values: string[]) => {
      const batch = encodeRecordBatch(values.map((v) => ({ value: Buffer.from(v) })));
      batch.writeInt32BE(0, 43); // producer id 4242 (int64)
      batch.writeUInt32BE(4242, 47);
      batch.writeInt16BE(0, 51); // epoch
      batch.writeInt32BE(firstSeq, 53);
      sealBatch(batch, 0, batch.length);
      return batch;
    };
    const c = await RawClient.open(g.bootstrap);
    let correlation = 100;
    const produce = async (records: Buffer) => {
      const id = correlation++;
      c.send((w) => {
        header(0, 7, id)(w);
        writeProduceRequest(w, 7, { acks: -1, timeoutMs: 5000, topicData: [{ name: 'otlp_logs', partitionData: [{ index: 1, records }] }] });
      });
      const r = new KafkaReader((await c.next())!);
      expect(r.int32()).toBe(id);
      return readProduceResponse(r, 7).responses[0].partitionResponses[0];
    };
    const first = await produce(idempotent(0, ['seq-0', 'seq-1']));
    expect(first.errorCode).toBe(0);
    const again = await produce(idempotent(0, ['seq-0', 'seq-1']));
    expect([again.errorCode, again.baseOffset]).toEqual([0, first.baseOffset]);
    const gap = await produce(idempotent(5, ['seq-5']));
    expect(gap.errorCode).toBe(45); // OUT_OF_ORDER_SEQUENCE_NUMBER
    const next = await produce(idempotent(2, ['seq-2']));
    expect([next.errorCode, next.baseOffset]).toEqual([0, first.baseOffset + 2]);
    c.close();
    const stored = await (g.gateway.backend as EmbeddedBackend).fetch({ topic: 'otlp_logs', partition: 1, offset: 0 });
    expect(stored.records.map((r) => r.value?.toString())).toEqual(['seq-0', 'seq-1', 'seq-2']);
  });

  it('answers ListOffsets latest with every record of the Produce answered before it, and earliest with the log start', async () => {
    const c = await RawClient.open(g.bootstrap);
    const listOffsets = (correlationId: number, timestamp: number) =>
      c.send((w) => {
        header(2, 5, correlationId)(w);
        writeListOffsetsRequest(w, 5, { replicaId: -1, isolationLevel: 0, topics: [{ name: 'events_in', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp }] }] });
      });
    const offsetOf = async (correlationId: number) => {
      const r = new KafkaReader((await c.next())!);
      expect(r.int32()).toBe(correlationId);
      const p = readListOffsetsResponse(r, 5).topics[0].partitions[0];
      expect(p.errorCode).toBe(0);
      return Number(p.offset);
    };
    listOffsets(1, -1);
    const start = await offsetOf(1);
    for (let i = 0; i < 5; i++) {
      // Pipelined behind the Produce: answered after it, so it must count its 3 records.
      c.send((w) => {
        header(0, 7, 10 + i)(w);
        writeProduceRequest(w, 7, { acks: -1, timeoutMs: 5000, topicData: [{ name: 'events_in', partitionData: [{ index: 0, records: encodeRecordBatch(Array.from({ length: 3 }, (_, k) => ({ value: Buffer.from(`r${i}.${k}`) }))) }] }] });
      });
      listOffsets(20 + i, -1);
      const r = new KafkaReader((await c.next())!);
      expect(r.int32()).toBe(10 + i);
      expect(Number(readProduceResponse(r, 7).responses[0].partitionResponses[0].baseOffset)).toBe(start + 3 * i);
      expect(await offsetOf(20 + i)).toBe(start + 3 * (i + 1));
    }
    listOffsets(30, -2);
    expect(await offsetOf(30)).toBe(0);
    c.close();
  });

  it('stores large pipelined Produce frames sent in small pieces byte for byte, each batch its own', async () => {
    // Three 300 KB batches, each filled with its own byte, pipelined and
    // sent as one stream cut at 997-byte steps so every size prefix and header straddles pieces.
    const batches = [1, 2, 3].map((fill) => encodeRecordBatch(Array.from({ length: 30 }, () => ({ value: Buffer.alloc(10_000, fill) }))));
    const frames = batches.map((records, i) => {
      const w = new KafkaWriter();
      w.int32(0);
      header(0, 7, 100 + i)(w);
      writeProduceRequest(w, 7, { acks: -1, timeoutMs: 5000, topicData: [{ name: 'events_in', partitionData: [{ index: 1, records }] }] });
      const out = w.finish();
      out.writeInt32BE(out.length - 4, 0);
      return out;
    });
    const stream = Buffer.concat(frames);
    const c = await RawClient.open(g.bootstrap);
    for (let at = 0; at < stream.length; at += 997) c.sendRaw(stream.subarray(at, at + 997));
    const offsets: number[] = [];
    for (let i = 0; i < 3; i++) {
      const r = new KafkaReader((await c.next())!);
      expect(r.int32()).toBe(100 + i);
      const p = readProduceResponse(r, 7).responses[0].partitionResponses[0];
      expect(p.errorCode).toBe(0);
      offsets.push(Number(p.baseOffset));
    }
    c.close();
    const log = g.gateway.backend as EmbeddedBackend;
    for (const [i, offset] of offsets.entries()) {
      const { batches: stored } = await log.fetchBatches({ topic: 'events_in', partition: 1, offset, maxBytes: 1 });
      // Stored as sent, but for the base offset and leader epoch the log assigns (outside the CRC).
      const first = stored.subarray(0, LOG_OVERHEAD + stored.readInt32BE(8));
      expect(first.length).toBe(batches[i].length);
      expect(first.subarray(16)).toEqual(batches[i].subarray(16));
    }
  });

  it('stores many pipelined Produce frames from two connections at once byte for byte, answering each in order', async () => {
    // 2 × 40 frames of about 200 KB, written without waiting: past the frames a connection reads
    // ahead (it pauses reading) and the produces it runs at once, so frame memory is reused while
    // both connections' reads share one buffer.
    const sendAll = async (client: number) => {
      const batches = Array.from({ length: 40 }, (_, i) =>
        encodeRecordBatch(Array.from({ length: 20 }, (_, r) => ({ value: Buffer.alloc(10_000, (client * 40 + i + r) & 0xff) }))),
      );
      const c = await RawClient.open(g.bootstrap);
      for (const [i, records] of batches.entries()) {
        c.send((w) => {
          header(0, 7, 1000 + i)(w);
          writeProduceRequest(w, 7, { acks: -1, timeoutMs: 5000, topicData: [{ name: 'otlp_events', partitionData: [{ index: client, records }] }] });
        });
      }
      const offsets: number[] = [];
      for (let i = 0; i < batches.length; i++) {
        const r = new KafkaReader((await c.next())!);
        expect(r.int32()).toBe(1000 + i);
        const p = readProduceResponse(r, 7).responses[0].partitionResponses[0];
        expect(p.errorCode).toBe(0);
        offsets.push(Number(p.baseOffset));
      }
      c.close();
      return { batches, offsets };
    };
    const sent = await Promise.all([sendAll(0), sendAll(1)]);
    const log = g.gateway.backend as EmbeddedBackend;
    for (const [partition, { batches, offsets }] of sent.entries()) {
      expect(offsets).toEqual(offsets.map((_, i) => offsets[0] + 20 * i));
      for (const [i, offset] of offsets.entries()) {
        const { batches: stored } = await log.fetchBatches({ topic: 'otlp_events', partition, offset, maxBytes: 1 });
        const first = stored.subarray(0, LOG_OVERHEAD + stored.readInt32BE(8));
        expect(first.subarray(16).equals(batches[i].subarray(16)), `partition ${partition} batch ${i}`).toBe(true);
      }
    }
  });

  it("reads no more of the log for a Fetch than its MaxBytes, however many partitions it names (the same one 100 times)", async () => {
    // 2 MB in 8 batches; a Fetch of 1 MiB naming the partition 100 times, each up to 64 MiB.
    const log = g.gateway.backend as EmbeddedBackend;
    for (let i = 0; i < 8; i++) await log.produce('otlp_metrics', 0, [{ value: Buffer.alloc(256 * 1024 - 100, i) }]);
    let readBytes = 0;
    const fetchBatches = log.fetchBatches.bind(log);
    // Counts what the log hands the listener (the real method runs).
    log.fetchBatches = async (request) => {
      const fetched = await fetchBatches(request);
      readBytes += fetched.batches.length;
      return fetched;
    };
    try {
      const c = await RawClient.open(g.bootstrap);
      c.send((w) => {
        header(1, 4, 5)(w);
        const partitions = Array.from({ length: 100 }, () => ({ partition: 0, fetchOffset: 0, partitionMaxBytes: 64 * 1024 * 1024 }));
        writeFetchRequest(w, 4, { replicaId: -1, maxWaitMs: 0, minBytes: 1, maxBytes: 1024 * 1024, isolationLevel: 0, topics: [{ topic: 'otlp_metrics', partitions }] });
      });
      const r = new KafkaReader((await c.next())!);
      expect(r.int32()).toBe(5);
      const answered = readFetchResponse(r, 4).responses[0].partitions;
      c.close();
      // Every partition is answered, without error, at the partition's end; the records fit MaxBytes.
      expect(answered.map((p) => [p.errorCode, Number(p.highWatermark)])).toEqual(Array.from({ length: 100 }, () => [0, 8]));
      expect(answered[0].records?.length).toBeGreaterThan(0);
      expect(answered.reduce((n, p) => n + (p.records?.length ?? 0), 0)).toBeLessThanOrEqual(1024 * 1024);
      // Naming a partition again must not make the log read it again: 100 reads would be 200 MB.
      expect(readBytes).toBeLessThan(3 * 1024 * 1024);
    } finally {
      Reflect.deleteProperty(log, 'fetchBatches');
    }
  });

  it('keeps a Fetch at the end of the log waiting, and answers it with the record produced while it waited', async () => {
    // MinBytes 1, MaxWaitMs 10 s: a consumer at the end is answered when data comes, not at once
    // with nothing (it would then fetch again and again, a request per round trip, while idle).
    const log = g.gateway.backend as EmbeddedBackend;
    const { highWatermark: end } = await log.fetchBatches({ topic: 'events_in', partition: 0, offset: 0, maxBytes: 1 });
    const c = await RawClient.open(g.bootstrap);
    c.send((w) => {
      header(1, 4, 9)(w);
      writeFetchRequest(w, 4, {
        replicaId: -1,
        maxWaitMs: 10_000,
        minBytes: 1,
        maxBytes: 1024 * 1024,
        isolationLevel: 0,
        topics: [{ topic: 'events_in', partitions: [{ partition: 0, fetchOffset: end, partitionMaxBytes: 1024 * 1024 }] }],
      });
    });
    const answer = c.next();
    // Long enough for the listener to have read the Fetch and, were it not waiting, answered it.
    await new Promise((resolve) => setTimeout(resolve, 500));
    await log.produce('events_in', 0, [{ value: Buffer.from('produced while the fetch waited') }]);
    const r = new KafkaReader((await answer)!);
    expect(r.int32()).toBe(9);
    const [p] = readFetchResponse(r, 4).responses[0].partitions;
    c.close();
    expect([p.errorCode, Number(p.highWatermark)]).toEqual([0, end + 1]);
    const records = decodeRecordBatches(Buffer.from(p.records!), 'events_in', 0);
    expect(records.map((rec) => [rec.offset, rec.value?.toString()])).toEqual([[end, 'produced while the fetch waited']]);
  });

  it('closes the connection on an unknown API key, an unserved version, a frame over the size limit or shorter than a header; the listener keeps serving', async () => {
    for (const send of [
      (c: RawClient) => c.send(header(4242, 0, 1)),
      (c: RawClient) => c.send(header(1, 2, 1)), // Fetch v2: record batches v2 need v4
      (c: RawClient) => c.sendRaw(Buffer.from([0x7f, 0xff, 0xff, 0xff])),
      (c: RawClient) => c.sendRaw(Buffer.from([0, 0, 0, 6, 0, 18, 0, 0, 0, 0])), // shorter than a request header
      (c: RawClient) => c.sendRaw(Buffer.from([0, 0, 0, 12, 0, 3, 0, 1, 0, 0, 0, 1, 0xff, 0xff, 0x7f, 0xff])), // Metadata claiming 32767 topics
    ]) {
      const c = await RawClient.open(g.bootstrap);
      send(c);
      expect(await c.next()).toBeNull();
    }
    const c = await RawClient.open(g.bootstrap);
    c.send(header(18, 0, 3));
    const r = new KafkaReader((await c.next())!);
    expect(r.int32()).toBe(3);
    expect(readApiVersionsResponse(r, 0).errorCode).toBe(0);
    c.close();
  });
});
