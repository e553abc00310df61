import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { describe, expect, it } from 'vitest';
import { makeSpans } from '../otlp/fixtures.js';
import { type Gateway, startGateway } from './harness.js';
import { chunk, openConnection, postHead, sleep, statusOf, trickle } from './raw-connection.js';

const INFLIGHT = 'tributary_receiver_inflight_bytes';
const spans = (traces: number) => ProtobufTraceSerializer.serializeRequest(makeSpans({ traces, spansPerTrace: 3 }))!;

async function post(served: Gateway, body: Uint8Array | string, headers: Record<string, string> = {}): Promise<number> {
  const res = await fetch(served.url('/v1/traces'), { method: 'POST', body, headers: { 'content-type': 'application/x-protobuf', ...headers } });
  await res.arrayBuffer();
  return res.status;
}

/** Polls the admin's gauge of bytes in flight until it reads `expected`; fails with the last reading. */
async function inflightBecomes(served: Gateway, expected: number, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = await served.metric(INFLIGHT);
  while (last !== expected && Date.now() < deadline) {
    await sleep(20);
    last = await served.metric(INFLIGHT);
  }
  expect(last).toBe(expected);
}

/** Sends a chunked body of `total` bytes in 16 KiB chunks every 10 ms until the server answers or closes. */
async function sendChunkedUntilAnswered(served: Gateway, total: number) {
  const conn = await openConnection(served.receiverPort);
  conn.write(postHead('/v1/traces'));
  const piece = chunk(Buffer.alloc(16 * 1024, 0x0a));
  for (let sent = 0; sent < total && !conn.received() && !conn.isClosed(); sent += 16 * 1024) {
    conn.write(piece);
    await sleep(10);
  }
  // All sent without an answer: end the body, so the answer comes (and the test says what it was).
  if (!conn.received()) conn.write('0\r\n\r\n');
  return { conn, head: await conn.responseHead() };
}

describe('bytes in flight (receiver.max_inflight_bytes)', () => {
  it('releases the bytes of uploads cut off by request_timeout: the next request gets 200, not 429, and the gauge returns to 0', async () => {
    const served = await startGateway({ max_inflight_bytes: 100_000, request_timeout: 300 });
    try {
      const normal = spans(20);
      expect(normal.length).toBeGreaterThan(100_000 - 4 * 24_000);
      expect(await post(served, normal)).toBe(200);
      // Four uploads that declare 24 kB each and send a byte every 50 ms: together they hold 96 kB.
      const slow = await Promise.all([1, 2, 3, 4].map(() => openConnection(served.receiverPort)));
      for (const conn of slow) {
        conn.write(postHead('/v1/traces', 24_000));
        void trickle(conn, Buffer.alloc(24_000, 0x0a), 1, 50);
      }
      const heads = await Promise.all(slow.map((conn) => conn.responseHead()));
      expect(heads.map(statusOf)).toEqual([503, 503, 503, 503]);
      expect(heads.every((head) => /\r\nretry-after: 1\r\n/i.test(head))).toBe(true);
      // Their connections are closed although the clients go on sending...
      await Promise.all(slow.map((conn) => conn.closed));
      // ... and nothing of theirs is still counted: a request that needs more than 4 kB of budget is served.
      await inflightBecomes(served, 0);
      expect(await post(served, normal)).toBe(200);
      await inflightBecomes(served, 0);
    } finally {
      await served.close();
    }
  });

  it('counts a chunked body as it arrives: past the budget it gets 429 before it has all been sent, and its bytes are released', async () => {
    const served = await startGateway({ max_inflight_bytes: '64KiB', max_request_bytes: '8MiB' });
    try {
      expect(await post(served, spans(2))).toBe(200);
      // Another upload holds 16 kB of the budget (declared, not yet sent).
      const holder = await openConnection(served.receiverPort);
      holder.write(postHead('/v1/traces', 16_000));
      await inflightBecomes(served, 16_000);
      const { conn, head } = await sendChunkedUntilAnswered(served, 8 * 1024 * 1024);
      expect(statusOf(head)).toBe(429);
      expect(head).toMatch(/\r\nretry-after: 1\r\n/i);
      // Answered once it passed 64 KiB, not after 8 MiB were read.
      expect(conn.sent()).toBeLessThan(2 * 1024 * 1024);
      await inflightBecomes(served, 16_000);
      // A client that disconnects mid-body gives its bytes back too.
      holder.socket.destroy();
      await inflightBecomes(served, 0);
      expect(await post(served, spans(2))).toBe(200);
    } finally {
      await served.close();
    }
  });

  it('answers a chunked body over max_request_bytes with 413 before it has all been sent', async () => {
    const served = await startGateway({ max_request_bytes: '256KiB' });
    try {
      const { conn, head } = await sendChunkedUntilAnswered(served, 8 * 1024 * 1024);
      expect(statusOf(head)).toBe(413);
      expect(head).toMatch(/over receiver\.max_request_bytes/);
      expect(conn.sent()).toBeLessThan(2 * 1024 * 1024);
      await inflightBecomes(served, 0);
      expect(await post(served, spans(2))).toBe(200);
    } finally {
      await served.close();
    }
  });

  it('releases the bytes of every answer: stored, malformed, too large, unsupported, and a client gone mid-body', async () => {
    const served = await startGateway({ max_request_bytes: '64KiB' });
    try {
      expect(await post(served, spans(2))).toBe(200);
      expect(await post(served, Buffer.from([0x0a, 0x05, 0x12, 0x01]))).toBe(400);
      expect(await post(served, Buffer.alloc(65 * 1024, 0x0a))).toBe(413);
      expect(await post(served, spans(2), { 'content-encoding': 'br' })).toBe(415);
      const gone = await openConnection(served.receiverPort);
      gone.write(postHead('/v1/traces', 10_000));
      gone.write(Buffer.alloc(100, 0x0a));
      await inflightBecomes(served, 10_000);
      gone.socket.destroy();
      await inflightBecomes(served, 0);
    } finally {
      await served.close();
    }
  });
});
