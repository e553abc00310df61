import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readApiVersionsResponse } from '../../src/kafka/messages/api-versions-response.js';
import { KafkaReader } from '../../src/kafka/protocol/reader.js';
import { KafkaWriter } from '../../src/kafka/protocol/writer.js';
import { type KafkaGateway, metric, startKafkaGateway } from './helpers.js';
import { header, RawClient } from './raw-client.js';

const MiB = 1024 * 1024;
const FRAME_BYTES = 8 * MiB;
const BUDGET_BYTES = 16 * MiB;
const CLIENTS = 12;
/** What each client sends of its frame before it stalls. */
const STARTED_BYTES = MiB / 2;

/** An ApiVersions v0 request frame padded to `size` bytes (v0 reads nothing past its header). */
function paddedApiVersions(correlationId: number, size: number): Buffer {
  const w = new KafkaWriter();
  w.int32(size);
  header(18, 0, correlationId)(w);
  const start = Buffer.from(w.finish());
  return Buffer.concat([start, Buffer.alloc(4 + size - start.length)]);
}

/** Resolves once the gateway has read no more bytes for `quietMs`. */
async function readingStopped(g: KafkaGateway, quietMs = 500): Promise<void> {
  let last = -1;
  for (;;) {
    const now = await metric(g, 'tributary_kafka_received_bytes_total');
    if (now === last) return;
    last = now;
    await new Promise((r) => setTimeout(r, quietMs));
  }
}

/**
 * Many connections each holding the start of a large frame: the memory of frames partly received
 * is bounded listener-wide by kafka.max_partial_request_bytes. The connections past it are not
 * read from (paused) until memory is given back; none is lost.
 */
describe('request frames partly received, all Kafka connections together', () => {
  let g: KafkaGateway;
  const clients: RawClient[] = [];
  beforeAll(async () => {
    g = await startKafkaGateway({ kafka: { max_request_bytes: FRAME_BYTES, max_partial_request_bytes: BUDGET_BYTES } });
  }, 60_000);
  afterAll(async () => {
    for (const c of clients) c.close();
    await g?.stop();
  });

  it('hold at most the budget while clients stall mid-frame, and every frame is served once they finish', async () => {
    const frames = Array.from({ length: CLIENTS }, (_, i) => paddedApiVersions(i + 1, FRAME_BYTES));
    const before = process.memoryUsage().arrayBuffers;
    for (const frame of frames) {
      const c = await RawClient.open(g.bootstrap);
      clients.push(c);
      c.sendRaw(frame.subarray(0, STARTED_BYTES));
    }
    await readingStopped(g);

    // Without a bound each connection's frame takes its 8 MiB as its size arrives: 96 MiB here.
    const held = await metric(g, 'tributary_kafka_partial_request_bytes');
    expect(held).toBeGreaterThan(0);
    expect(held).toBeLessThanOrEqual(BUDGET_BYTES);
    const grown = process.memoryUsage().arrayBuffers - before;
    expect(grown, `frame memory grew by ${(grown / MiB).toFixed(1)} MiB`).toBeLessThan(BUDGET_BYTES + 8 * MiB);
    expect(await metric(g, 'tributary_kafka_partial_request_waits_total')).toBeGreaterThan(0);

    // The stalled clients finish their frames: the paused ones are read as memory is given back.
    for (const [i, c] of clients.entries()) c.sendRaw(frames[i].subarray(STARTED_BYTES));
    for (const [i, c] of clients.entries()) {
      const r = new KafkaReader((await c.next())!);
      expect(r.int32()).toBe(i + 1);
      expect(readApiVersionsResponse(r, 0).errorCode).toBe(0);
    }
    expect(await metric(g, 'tributary_kafka_partial_request_bytes')).toBe(0);
  }, 120_000);
});
