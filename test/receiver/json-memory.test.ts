import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { partialSuccess, startWholeGateway, statusMessage, type WholeGateway } from './whole-gateway.js';

const MAX_REQUEST_BYTES = 16 * 1024 * 1024;

let gw: WholeGateway;
beforeAll(async () => {
  gw = await startWholeGateway({ receiver: { max_request_bytes: MAX_REQUEST_BYTES } });
});
afterAll(() => gw?.close());

/** Spans as the JS SDK's JSON serializer writes them: ids, times, a few attributes. */
function sdkLikeSpans(count: number): string {
  const spans = Array.from({ length: count }, (_, i) => ({
    traceId: (i % 1000).toString(16).padStart(32, '0').replace(/^0/, 'a'),
    spanId: (i + 1).toString(16).padStart(16, '0'),
    name: `GET /api/items/${i % 50}`,
    kind: 2,
    startTimeUnixNano: '1700000000000000000',
    endTimeUnixNano: '1700000000100000000',
    attributes: [
      { key: 'http.method', value: { stringValue: 'GET' } },
      { key: 'http.status_code', value: { intValue: '200' } },
      { key: 'http.url', value: { stringValue: `http://example.com/api/items/${i}` } },
    ],
    status: {},
  }));
  return JSON.stringify({ resourceSpans: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'shop' } }] }, scopeSpans: [{ scope: { name: 's' }, spans }] }] });
}

describe('memory of OTLP/JSON decoding', () => {
  it('a JSON body whose decoding takes far more memory than its size gets 413, and the gateway serves on; real JSON up to the limit is stored', async () => {
    // 15 MB of empty objects (50 KB of gzip): parsed, each is an object of its own, some 50 times
    // its 3 bytes of text, gigabytes in all, in a thread that has no bound of its own.
    const bomb = `{"resourceSpans":[${'{},'.repeat(5_000_000)}{}]}`;
    const answer = await gw.post('traces', bomb, { json: true, gzip: true });
    expect(answer.status).toBe(413);
    expect(statusMessage(answer)).toMatch(/^the JSON body holds too many objects and values to decode in 134217728 bytes of memory/);

    const real = sdkLikeSpans(36_000);
    expect(real.length).toBeGreaterThan(MAX_REQUEST_BYTES * 0.75);
    expect(real.length).toBeLessThan(MAX_REQUEST_BYTES);
    const stored = await gw.post('traces', real, { json: true, gzip: true });
    expect(stored.status, stored.body.toString()).toBe(200);
    expect(partialSuccess(stored).rejected).toBe(0);
  });
});
