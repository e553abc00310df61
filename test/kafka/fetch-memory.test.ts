import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFetchRequest } from '../../src/kafka/messages/fetch-request.js';
import { readFetchResponse } from '../../src/kafka/messages/fetch-response.js';
import { KafkaReader } from '../../src/kafka/protocol/reader.js';
import type { EmbeddedBackend } from '../../src/log/embedded/embedded-backend.js';
import { type KafkaGateway, startKafkaGateway } from './helpers.js';
import { header, RawClient } from './raw-client.js';

const MiB = 1024 * 1024;
/** What the topic holds: 40 batches of about 1 MiB. */
const STORED = 40 * MiB;

function sendFetch(c: RawClient, correlationId: number, maxBytes: number): void {
  c.send((w) => {
    header(1, 4, correlationId)(w);
    writeFetchRequest(w, 4, {
      replicaId: -1,
      maxWaitMs: 0,
      minBytes: 1,
      maxBytes,
      isolationLevel: 0,
      topics: [{ topic: 'events_in', partitions: [{ partition: 0, fetchOffset: 0, partitionMaxBytes: maxBytes }] }],
    });
  });
}

async function recordBytes(c: RawClient): Promise<number> {
  const r = new KafkaReader((await c.next())!);
  r.int32();
  const [partition] = readFetchResponse(r, 4).responses[0].partitions;
  expect(partition.errorCode).toBe(0);
  return partition.records?.length ?? 0;
}

describe('Kafka Fetch memory', () => {
  let g: KafkaGateway;
  beforeAll(async () => {
    g = await startKafkaGateway({ partitions: 1 });
    const log = g.gateway.backend as EmbeddedBackend;
    for (let i = 0; i < STORED / MiB; i++) await log.produce('events_in', 0, [{ value: Buffer.alloc(MiB - 100, i) }]);
  }, 60_000);
  afterAll(() => g?.stop());

  it('many clients fetching 55 MiB each and not reading hold the gateway to a bounded memory, and each is still answered with records', async () => {
    const log = g.gateway.backend as EmbeddedBackend;
    // The bytes the log handed the listener and did not get back (the real methods run).
    let held = 0;
    let peak = 0;
    let fetches = 0;
    const fetchBatches = log.fetchBatches.bind(log);
    const recycleBatches = log.recycleBatches.bind(log);
    log.fetchBatches = async (request) => {
      const fetched = await fetchBatches(request);
      fetches++;
      held += fetched.batches.length;
      peak = Math.max(peak, held);
      return fetched;
    };
    log.recycleBatches = (batches) => {
      held -= batches.length;
      recycleBatches(batches);
    };
    const clients: RawClient[] = [];
    try {
      const rssBefore = process.memoryUsage().rss;
      let rssPeak = rssBefore;
      for (let i = 0; i < 16; i++) {
        const c = await RawClient.open(g.bootstrap);
        clients.push(c);
        c.reading(false);
        sendFetch(c, i, 55 * MiB);
      }
      for (let waited = 0; fetches < 16 && waited < 20_000; waited += 50) {
        rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(fetches).toBe(16);
      rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
      // Without a bound, each of the 16 responses holds all 40 MiB: 640 MiB.
      expect(peak).toBeLessThan(128 * MiB);
      expect(rssPeak - rssBefore).toBeLessThan(256 * MiB);

      // Each client gets records once it reads, and a fetch after the others are gone gets all it asked for.
      for (const c of clients) c.reading(true);
      const answered = await Promise.all(clients.map((c) => recordBytes(c)));
      for (const bytes of answered) expect(bytes).toBeGreaterThan(0);
      for (const c of clients.splice(0)) c.close();
      for (let waited = 0; held > 0 && waited < 5_000; waited += 50) await new Promise((r) => setTimeout(r, 50));
      expect(held).toBe(0);
      const last = await RawClient.open(g.bootstrap);
      clients.push(last);
      sendFetch(last, 99, 55 * MiB);
      expect(await recordBytes(last)).toBeGreaterThan(STORED - MiB);
    } finally {
      for (const c of clients) c.close();
      Reflect.deleteProperty(log, 'fetchBatches');
      Reflect.deleteProperty(log, 'recycleBatches');
    }
  });
});
