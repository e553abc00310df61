import { afterEach, describe, expect, it } from 'vitest';
import { readApiVersionsResponse } from '../../src/kafka/messages/api-versions-response.js';
import { writeFetchRequest } from '../../src/kafka/messages/fetch-request.js';
import { readFetchResponse } from '../../src/kafka/messages/fetch-response.js';
import { KafkaReader } from '../../src/kafka/protocol/reader.js';
import type { EmbeddedBackend } from '../../src/log/embedded/embedded-backend.js';
import { type KafkaGateway, metric, startKafkaGateway } from './helpers.js';
import { header, RawClient } from './raw-client.js';

/** Opens a connection and has ApiVersions answered on it: it was accepted and is served. */
async function served(g: KafkaGateway): Promise<RawClient> {
  const c = await RawClient.open(g.bootstrap);
  c.send(header(18, 0, 1));
  const frame = await c.next();
  expect(frame).not.toBeNull();
  const r = new KafkaReader(frame!);
  expect(r.int32()).toBe(1);
  expect(readApiVersionsResponse(r, 0).errorCode).toBe(0);
  return c;
}

describe('the Kafka listener connection limits', () => {
  let g: KafkaGateway | undefined;
  afterEach(async () => {
    await g?.stop();
    g = undefined;
  });

  it('closes connections past kafka.max_connections as they are accepted, counts them, and accepts again once one closes', async () => {
    g = await startKafkaGateway({ kafka: { max_connections: 2 } });
    const held = [await served(g), await served(g)];
    const extra = await RawClient.open(g.bootstrap);
    extra.send(header(18, 0, 1));
    expect(await extra.next()).toBeNull();
    expect(await metric(g, 'tributary_kafka_refused_connections_total')).toBe(1);
    held[0].close();
    // The server sees the close a moment later.
    await expect.poll(async () => (await metric(g!, 'tributary_kafka_connections')) === 1, { timeout: 5_000 }).toBe(true);
    (await served(g)).close();
    held[1].close();
  });

  it('closes a connection idle for kafka.idle_timeout and counts it, but not while its Fetch waits', async () => {
    g = await startKafkaGateway({ kafka: { idle_timeout: '400ms' } });
    const idle = await served(g);
    const started = performance.now();
    expect(await idle.next()).toBeNull();
    expect(performance.now() - started).toBeGreaterThanOrEqual(350);
    expect(await metric(g, 'tributary_kafka_idle_closed_connections_total')).toBe(1);

    // A Fetch on an empty partition waits 1.5 s, past the idle timeout, and is still answered.
    const waiting = await served(g);
    waiting.send((w) => {
      header(1, 4, 2)(w);
      writeFetchRequest(w, 4, {
        replicaId: -1,
        maxWaitMs: 1_500,
        minBytes: 1,
        maxBytes: 1024 * 1024,
        isolationLevel: 0,
        topics: [{ topic: 'events_in', partitions: [{ partition: 0, fetchOffset: 0, partitionMaxBytes: 1024 * 1024 }] }],
      });
    });
    const frame = await waiting.next();
    expect(frame).not.toBeNull();
    const r = new KafkaReader(frame!);
    expect(r.int32()).toBe(2);
    expect(readFetchResponse(r, 4).responses[0].partitions[0].errorCode).toBe(0);
    // Then, idle again, it is closed.
    expect(await waiting.next()).toBeNull();
    expect(await metric(g, 'tributary_kafka_idle_closed_connections_total')).toBe(2);
  });

  /** Fills partition 0 of events_in with `mb` MB, then sends `count` Fetch requests of all of it from offset 0. */
  async function fetchesOfMegabytes(gateway: KafkaGateway, mb: number, count: number): Promise<RawClient> {
    const log = gateway.gateway.backend as EmbeddedBackend;
    for (let i = 0; i < mb * 4; i++) await log.produce('events_in', 0, [{ value: Buffer.alloc(256 * 1024 - 100, i) }]);
    const c = await served(gateway);
    c.reading(false);
    for (let i = 0; i < count; i++) {
      c.send((w) => {
        header(1, 4, 100 + i)(w);
        const all = 64 * 1024 * 1024;
        writeFetchRequest(w, 4, { replicaId: -1, maxWaitMs: 0, minBytes: 1, maxBytes: all, isolationLevel: 0, topics: [{ topic: 'events_in', partitions: [{ partition: 0, fetchOffset: 0, partitionMaxBytes: all }] }] });
      });
    }
    return c;
  }

  it('stops handling the requests of a client that does not read its responses, and answers every one once it reads', async () => {
    g = await startKafkaGateway();
    // 100 Fetch requests of 2 MB each: served without waiting for the socket, 200 MB would pile up in the gateway.
    const c = await fetchesOfMegabytes(g, 2, 100);
    await new Promise((r) => setTimeout(r, 1_500));
    const handled = await metric(g, 'tributary_kafka_requests_total{api="Fetch",version="4"}');
    expect(handled).toBeGreaterThan(0);
    expect(handled).toBeLessThan(10);
    c.reading(true);
    for (let i = 0; i < 100; i++) {
      const r = new KafkaReader((await c.next())!);
      expect(r.int32()).toBe(100 + i);
      const p = readFetchResponse(r, 4).responses[0].partitions[0];
      expect([p.errorCode, (p.records?.length ?? 0) > 2 * 1024 * 1024 - 1000]).toEqual([0, true]);
    }
    c.close();
  });

  it('closes a connection whose client has not read its responses for kafka.idle_timeout', async () => {
    g = await startKafkaGateway({ kafka: { idle_timeout: '400ms' } });
    const c = await fetchesOfMegabytes(g, 2, 20);
    await expect.poll(() => metric(g!, 'tributary_kafka_idle_closed_connections_total'), { timeout: 5_000 }).toBe(1);
    await expect.poll(() => metric(g!, 'tributary_kafka_connections'), { timeout: 5_000 }).toBe(0);
    c.close();
  });
});
