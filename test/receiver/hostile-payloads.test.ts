import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import { protoToJson } from '../../src/otlp/proto-to-json.js';
import { eventually } from '../sinks/helpers.js';
import { deepLogRequest, Int, jsonText, type Model, nestedLogRequest, protobuf } from '../otlp/request-model.js';
import { partialSuccess, startWholeGateway, statusMessage, TOPICS, type WholeGateway } from './whole-gateway.js';

/**
 * Requests built to hurt the gateway, each bullet of the hardening issue through the public
 * surfaces: OTLP/HTTP in, the admin API, a file pipeline and `tributary tail --decode` out.
 */

let gw: WholeGateway;
beforeAll(async () => {
  gw = await startWholeGateway({
    pipelines: (dir) => [{ group: 'archive', topics: ['otlp_logs', 'otlp_events'], sink: { type: 'file', path: join(dir, 'logs.jsonl') } }],
  });
});
afterAll(() => gw?.close());

async function storedRecords(on: WholeGateway = gw): Promise<number> {
  const { topics } = await on.admin<{ topics: { name: string; partitions: { highWatermark: number }[] }[] }>('/api/v1/topics');
  return topics.filter((t) => (TOPICS as readonly string[]).includes(t.name)).reduce((n, t) => n + t.partitions.reduce((m, p) => m + p.highWatermark, 0), 0);
}

/** One bare span per trace (random ids) under a resource holding `resourceBytes` of attribute text. */
function manyTracesUnderOneResource(traces: number, resourceBytes: number): Buffer {
  const spans: Model[] = Array.from({ length: traces }, (_, i) => ({ traceId: randomBytes(16).toString('hex'), spanId: randomBytes(8).toString('hex'), name: `s${i}` }));
  const resource = { attributes: [{ key: 'big', value: { stringValue: 'r'.repeat(resourceBytes) } }] };
  return protobuf({ resourceSpans: [{ resource, scopeSpans: [{ scope: { name: 'x' }, spans }] }] }, 'ExportTraceServiceRequest');
}

const TRACE = { traceId: '5b8efff798038103d269b633813fc60c', spanId: 'eee19b7ec3c1b174', name: 'edge' };
const traceWith = (span: Record<string, Model>): Model => ({ resourceSpans: [{ scopeSpans: [{ spans: [{ ...TRACE, ...span }] }] }] });

describe('amplification', () => {
  it('a few KB of gzip whose records would repeat a large resource get 413 naming the limit, and nothing of them is stored; a raised limit stores them', async () => {
    // 100 traces under a 256 KiB resource: 25 MiB of records from 266 KiB of protobuf, about 3 KiB of gzip.
    const body = manyTracesUnderOneResource(100, 256 * 1024);
    expect(gzipSync(body).length).toBeLessThan(4096);
    const before = await storedRecords();
    const refused = await gw.post('traces', body, { gzip: true });
    expect(refused.status).toBe(413);
    expect(statusMessage(refused)).toMatch(/the request's 100 records would take more than 32 times its \d+ bytes \(receiver\.max_write_amplification\)/);
    expect(await storedRecords()).toBe(before);

    const lenient = await startWholeGateway({ receiver: { max_write_amplification: 128, max_inflight_bytes: '32MiB' } });
    try {
      expect((await lenient.post('traces', body, { gzip: true })).status).toBe(200);
      expect(await storedRecords(lenient)).toBe(100);
      // Each record stands alone, resource included.
      const page = await lenient.admin<{ records: { value: string }[] }>('/api/v1/topics/otlp_spans/records?partition=0&limit=1');
      expect(JSON.stringify(protoToJson(Buffer.from(page.records[0].value, 'base64'), 'ExportTraceServiceRequest'))).toContain('r'.repeat(1000));
      // 5,000 traces under a 1 MiB resource would be 5 GiB of records: refused by the in-flight cap
      // before any of it is allocated (one allocation of that size would fail the request with a 500).
      const huge = await lenient.post('traces', manyTracesUnderOneResource(5000, 1024 * 1024), { gzip: true });
      expect(huge.status).toBe(413);
      expect(statusMessage(huge)).toMatch(/more than 33554432 bytes \(receiver\.max_inflight_bytes\)/);
      expect(await storedRecords(lenient)).toBe(100);
    } finally {
      await lenient.close();
    }
  });
});

describe('JSON decoding', () => {
  it('a body built to make the big-integer pass quadratic is answered at once', async () => {
    // 8 MB of escaped quotes in an unterminated string, after a 19-digit integer: the pattern that
    // quoted long integers rescanned the rest of the body from every quote (hours of CPU for this
    // body, 8 KB of gzip). Linear, it is refused in milliseconds, well within the test's timeout.
    const body = `{"resourceSpans":[{"scopeSpans":[{"spans":[{"startTimeUnixNano":1700000000000000000,"name":"${'\\"'.repeat(4_000_000)}`;
    const answer = await gw.post('traces', body, { json: true, gzip: true });
    expect(answer.status).toBe(400);
    expect(statusMessage(answer)).toMatch(/^invalid JSON: Unterminated string/);
    // The same pass keeps long integers exact, and digits inside strings as they are.
    const ok = await gw.post(
      'traces',
      jsonText(traceWith({ name: `${'\\"'.repeat(1000)} 12345678901234567890`, startTimeUnixNano: new Int('1700000000123456789') })),
      { json: true },
    );
    expect(ok.status).toBe(200);
  });

  it('integers that do not fit their field get 400 naming the path and the range; the edges of each range are stored exactly', async () => {
    const refused: [Model, RegExp][] = [
      [traceWith({ startTimeUnixNano: new Int('18446744073709551616') }), /spans\[0\]\.startTimeUnixNano: 18446744073709551616 does not fit fixed64 \(0 to 18446744073709551615\)/],
      [traceWith({ startTimeUnixNano: new Int('-1') }), /startTimeUnixNano: -1 does not fit fixed64/],
      [traceWith({ droppedAttributesCount: new Int('4294967296') }), /droppedAttributesCount: 4294967296 does not fit uint32 \(0 to 4294967295\)/],
      [traceWith({ attributes: [{ key: 'n', value: { intValue: new Int('1e30') } }] }), /attributes\[0\]\.value\.intValue: 1e\+30 does not fit int64 \(-9223372036854775808 to 9223372036854775807\)/],
      [traceWith({ attributes: [{ key: 'n', value: { intValue: '9223372036854775808' } }] }), /intValue: 9223372036854775808 does not fit int64/],
      [traceWith({ kind: new Int('2147483648') }), /kind: 2147483648 does not fit an enum/],
      [traceWith({ kind: 'constructor' }), /kind: expected an enum value/],
      [traceWith({ endTimeUnixNano: new Int('1.5') }), /endTimeUnixNano: expected an integer/],
    ];
    for (const [model, reason] of refused) {
      const text = jsonText(model);
      const answer = await gw.post('traces', text, { json: true });
      expect(answer.status, text).toBe(400);
      expect(statusMessage(answer), text).toMatch(reason);
    }

    const before = (await gw.records('otlp_spans')).length;
    const edges = jsonText(
      traceWith({
        startTimeUnixNano: new Int('18446744073709551615'),
        endTimeUnixNano: '0',
        droppedAttributesCount: new Int('4294967295'),
        attributes: [
          { key: 'min', value: { intValue: new Int('-9223372036854775808') } },
          { key: 'max', value: { intValue: '9223372036854775807' } },
        ],
      }),
    );
    expect((await gw.post('traces', edges, { json: true })).status).toBe(200);
    const records = await gw.records('otlp_spans');
    expect(records).toHaveLength(before + 1);
    const stored = records.map((r) => protoToJson(r.value, 'ExportTraceServiceRequest')).find((j) => JSON.stringify(j).includes('"min"'));
    const span = (stored as { resourceSpans: { scopeSpans: { spans: Record<string, unknown>[] }[] }[] }).resourceSpans[0].scopeSpans[0].spans[0];
    expect(span).toMatchObject({
      startTimeUnixNano: '18446744073709551615',
      endTimeUnixNano: '0',
      droppedAttributesCount: 4294967295,
      attributes: [
        { key: 'min', value: { intValue: '-9223372036854775808' } },
        { key: 'max', value: { intValue: '9223372036854775807' } },
      ],
    });
  });
});

describe('nesting', () => {
  it('AnyValues nested past 100 levels get 400 in protobuf and JSON; at 100 they are stored, and the file sink and tail --decode read them back', async () => {
    for (const json of [false, true]) {
      const encode = (model: Model) => (json ? jsonText(model) : protobuf(model, 'ExportLogsServiceRequest'));
      for (const kind of ['array', 'kvlist'] as const) {
        // One level too deep, and 100,000 levels (which overflowed the stack of the validator).
        for (const body of [encode(nestedLogRequest(101, kind)), deepLogRequest(100_000, kind, json)]) {
          const answer = await gw.post('logs', body, { json, gzip: true });
          expect(answer.status, `${json ? 'json' : 'protobuf'} ${kind} ${body.length} bytes`).toBe(400);
          expect(statusMessage(answer)).toMatch(/messages nest more than 100 levels deep/);
        }
        const answer = await gw.post('logs', encode(nestedLogRequest(100, kind)), { json });
        expect(answer.status, `${json ? 'json' : 'protobuf'} ${kind} 100`).toBe(200);
      }
    }

    // The four requests at the limit, read back by the file sink from the log...
    const archived = () => {
      try {
        return readFileSync(join(gw.dataDir, 'logs.jsonl'), 'utf8').split('innermost').length - 1;
      } catch {
        return 0;
      }
    };
    await eventually('the file sink writes the four deep log records', () => archived() === 4);
    // ... and by `tributary tail --decode`.
    let stdout = '';
    const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      stdout += String(chunk);
      return true;
    });
    let code: number;
    try {
      code = await main(['tail', 'otlp_logs', '--from-beginning', '--once', '--decode', '--admin', gw.adminUrl('')]);
    } finally {
      out.mockRestore();
    }
    expect(code).toBe(0);
    expect(stdout).not.toContain('not OTLP');
    expect(stdout.split('"innermost"').length - 1).toBe(4);
    const deadLetters = (await gw.admin<{ topics: { name: string }[] }>('/api/v1/topics')).topics.find((t) => t.name === 'archive.dlq');
    expect(deadLetters).toBeUndefined();
  });
});

describe('partial success', () => {
  it('a million malformed spans in a few KB of gzip get their exact count and a short message naming the first reasons', async () => {
    // Spans of 2-3 bytes, each sending a known field with the wrong wire type: 14 distinct reasons.
    const malformations = [
      [0x08, 0x00], // traceId as a varint
      [0x10, 0x00], // spanId
      [0x18, 0x00], // traceState
      [0x20, 0x00], // parentSpanId
      [0x28, 0x00], // name
      [0x32, 0x00], // kind as bytes
      [0x38, 0x00], // startTimeUnixNano as a varint
      [0x40, 0x00], // endTimeUnixNano
      [0x48, 0x00], // attributes
      [0x52, 0x00], // droppedAttributesCount as bytes
      [0x58, 0x00], // events
      [0x62, 0x00], // droppedEventsCount as bytes
      [0x68, 0x00], // links
      [0x72, 0x00], // droppedLinksCount as bytes
    ];
    const BAD = 1_000_000;
    const spans = Buffer.alloc(BAD * 4);
    for (let i = 0; i < BAD; i++) spans.set([0x12, 2, ...malformations[i % malformations.length]], i * 4);
    const valid = protobuf({ spans: [TRACE, { ...TRACE, spanId: 'eee19b7ec3c1b175' }] }, 'ScopeSpans');
    const scope = Buffer.concat([valid, spans]);
    const body = Buffer.concat([Buffer.from([0x0a]), varint(lengthOf(scope)), Buffer.from([0x12]), varint(scope.length), scope]);
    expect(gzipSync(body).length).toBeLessThan(16 * 1024);

    const before = (await gw.records('otlp_spans')).length;
    const answer = await gw.post('traces', body, { gzip: true });
    expect(answer.status).toBe(200);
    const { rejected, message } = partialSuccess(answer);
    expect(rejected).toBe(BAD);
    expect(message.length).toBeLessThan(2048);
    expect(message).toMatch(/^71429 spans rejected: malformed span: Span\.traceId has wire type 0, expected 2 \(the first at byte \d+\); /);
    expect(message).toMatch(/; 285712 spans rejected for other reasons \(only the first 10 reasons are named\)$/);
    const counted = [...message.matchAll(/(\d+) spans? rejected/g)].reduce((n, m) => n + Number(m[1]), 0);
    expect(counted).toBe(BAD);
    // The two good spans (one trace) are stored.
    expect((await gw.records('otlp_spans')).length).toBe(before + 1);
  });
});

function varint(n: number): Buffer {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return Buffer.from(out);
}

/** Size of ResourceSpans { 2: scope }: its tag, the scope's length and the scope. */
function lengthOf(scope: Buffer): number {
  return 1 + varint(scope.length).length + scope.length;
}
