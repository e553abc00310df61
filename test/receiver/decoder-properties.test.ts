import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { protoToJson } from '../../src/otlp/proto-to-json.js';
import { REQUEST_MESSAGE, type Signal } from '../../src/otlp/signals.js';
import { summarize } from '../../src/cli/tail/otlp-summary.js';
import { seededRandom } from '../otlp/fixtures.js';
import { randomCase } from '../otlp/random-requests.js';
import { jsonText, protobuf } from '../otlp/request-model.js';
import { eventually } from '../sinks/helpers.js';
import { type Answer, partialSuccess, startWholeGateway, TOPICS, type WholeGateway } from './whole-gateway.js';

const MAX_REQUEST_BYTES = 1024 * 1024;
const MAX_DEPTH = 100;
const CASES = 160;
const SEED = 20260514;

let gw: WholeGateway;
beforeAll(async () => {
  gw = await startWholeGateway({
    receiver: { max_request_bytes: MAX_REQUEST_BYTES },
    pipelines: (dir) => [{ group: 'archive', topics: [...TOPICS], sink: { type: 'file', path: join(dir, 'archive.jsonl') } }],
  });
});
afterAll(() => gw?.close());

/** Items the file sink wrote: each line is one signal's OTLP/JSON, decoded by the sink from the log. */
function archivedItems(): number {
  let text = '';
  try {
    text = readFileSync(join(gw.dataDir, 'archive.jsonl'), 'utf8');
  } catch {
    return 0;
  }
  let items = 0;
  for (const line of text.split('\n')) {
    if (!line) continue;
    const json = JSON.parse(line) as Record<string, unknown>;
    const signal: Signal = 'resourceSpans' in json ? 'traces' : 'resourceMetrics' in json ? 'metrics' : 'logs';
    items += summarize(signal, json).items;
  }
  return items;
}

/** The archive group has delivered every record of the four topics. */
async function caughtUp(): Promise<boolean> {
  const group = await gw.admin<{ partitions: { topic: string; highWatermark: number; lag: number | null }[] }>('/api/v1/groups/archive');
  const listed = group.partitions.filter((p) => (TOPICS as readonly string[]).includes(p.topic));
  return listed.length === TOPICS.length * 2 && listed.every((p) => p.highWatermark === 0 || p.lag === 0);
}

describe('both decoders under size, depth and integer extremes', () => {
  it('answer 200, 400 or 413 as each request deserves, never 5xx, and whatever got 200 is stored exactly and decodes', async () => {
    const rnd = seededRandom(SEED);
    let accepted = 0;
    const statuses = new Map<string, number>();
    const survivors: { signal: Signal; body: Buffer; json: boolean }[] = [];
    for (let i = 0; i < CASES; i++) {
      const c = randomCase(rnd);
      for (const json of [false, true]) {
        const body = json ? Buffer.from(jsonText(c.model)) : protobuf(c.model, REQUEST_MESSAGE[c.signal]);
        const gzip = rnd() < 0.3;
        const answer: Answer = await gw.post(c.signal, body, { json, gzip });
        const expected =
          body.length > MAX_REQUEST_BYTES ? 413 : c.deepest > MAX_DEPTH || (json && !c.integersFit) ? 400 : c.amplifying ? 413 : 200;
        const what = `case ${i} (${json ? 'json' : 'protobuf'}, ${c.signal}, ${body.length} bytes, deepest level ${c.deepest}, integers fit: ${c.integersFit}, amplifying: ${c.amplifying})`;
        expect(answer.status, `${what}: ${answer.body.toString().slice(0, 300)}`).toBe(expected);
        statuses.set(`${json ? 'json' : 'protobuf'} ${answer.status}`, (statuses.get(`${json ? 'json' : 'protobuf'} ${answer.status}`) ?? 0) + 1);
        if (answer.status !== 200) continue;
        const { rejected } = partialSuccess(answer);
        expect(rejected, what).toBe(c.badIds);
        accepted += c.items - c.badIds;
        if (survivors.length < 60 && body.length < 64 * 1024) survivors.push({ signal: c.signal, body, json });
      }
    }
    // Every kind of answer was met, in both encodings.
    for (const key of ['protobuf 200', 'protobuf 400', 'protobuf 413', 'json 200', 'json 400', 'json 413']) expect(statuses.get(key), key).toBeGreaterThan(0);

    // What was answered 200 is what the sink decoded from the log, item for item; nothing went to the dead-letter topic.
    await eventually('the archive pipeline delivers every record', async () => (await caughtUp()) && archivedItems() === accepted, 60_000);
    expect(archivedItems()).toBe(accepted);

    // Mutated bodies: any answer but 5xx, and the gateway's decoder still reads every stored record.
    for (const [n, s] of survivors.entries()) {
      const body = Buffer.from(s.body);
      for (let e = 0; e < 1 + (n % 4); e++) body[Math.floor(rnd() * body.length)] = Math.floor(rnd() * 256);
      const answer = await gw.post(s.signal, n % 5 === 0 ? body.subarray(0, Math.floor(rnd() * body.length)) : body, { json: s.json });
      expect([200, 400, 413], answer.body.toString().slice(0, 300)).toContain(answer.status);
    }
    await eventually('the archive pipeline delivers the mutated requests too', caughtUp, 60_000);
    for (const topic of TOPICS) {
      const signal: Signal = topic === 'otlp_spans' ? 'traces' : topic === 'otlp_metrics' ? 'metrics' : 'logs';
      for (const record of await gw.records(topic)) expect(() => protoToJson(record.value, REQUEST_MESSAGE[signal])).not.toThrow();
    }
    const topics = await gw.admin<{ topics: { name: string; partitions: { highWatermark: number }[] }[] }>('/api/v1/topics');
    const deadLetters = topics.topics.find((t) => t.name === 'archive.dlq')?.partitions.reduce((n, p) => n + p.highWatermark, 0) ?? 0;
    expect(deadLetters).toBe(0);
  }, 240_000);
});
