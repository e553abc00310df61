import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendSampleTelemetry } from '../../src/cli/sample/sample-telemetry.js';
import { configSchema } from '../../src/config/schema.js';
import { createGateway, type Gateway } from '../../src/gateway.js';
import { silentLogger } from '../../src/telemetry/logger.js';

// biome-ignore lint/suspicious/noExplicitAny: response bodies are what the assertions check
const json = (res: Response): Promise<any> => res.json();

interface Page {
  records: { offset: number; timestamp: number; signal?: string; value: unknown; decodeError?: string }[];
}

describe('records decoded from OTLP and read from a time', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-records-decoded-'));
  let gateway: Gateway;
  let base: string;
  let sentAt: number;

  beforeAll(async () => {
    const config = configSchema.parse({
      receiver: { endpoint: '127.0.0.1:0', workers: 1 },
      admin: { endpoint: '127.0.0.1:0' },
      kafka: { listener: '' },
      log: { data_dir: dir, brokers: 1, fsync: 'never' },
      topics: { otlp_spans: { partitions: 1 }, otlp_events: { partitions: 1 }, otlp_logs: { partitions: 1 }, otlp_metrics: { partitions: 1 } },
    });
    gateway = createGateway(config, { logger: silentLogger });
    await gateway.start();
    base = `http://127.0.0.1:${gateway.adminAddress().port}`;
    sentAt = Date.now();
    await sendSampleTelemetry({ endpoint: `http://127.0.0.1:${gateway.receiverAddress().port}`, requests: 3 });
    await gateway.backend.createTopic({ name: 'raw', partitions: 1 });
    await gateway.backend.produce('raw', 0, [{ key: null, value: Buffer.from('not protobuf at all \xff') }]);
  });
  afterAll(async () => {
    await gateway?.shutdown();
    rmSync(dir, { recursive: true, force: true });
  });

  const page = async (query: string): Promise<Page> => {
    const res = await fetch(`${base}/api/v1/topics/${query}`);
    expect(res.status, query).toBe(200);
    return json(res);
  };

  it('returns spans as OTLP/JSON with format=otlp-json', async () => {
    const { records } = await page('otlp_spans/records?format=otlp-json&limit=1000');
    expect(records.length).toBeGreaterThan(0);
    expect(records.every((r) => r.signal === 'traces')).toBe(true);
    // biome-ignore lint/suspicious/noExplicitAny: OTLP/JSON as the API returns it
    const spans = records.flatMap((r: any) => r.value.resourceSpans.flatMap((rs: any) => rs.scopeSpans.flatMap((ss: any) => ss.spans)));
    expect(new Set(spans.map((s: { name: string }) => s.name))).toEqual(new Set(['GET /checkout', 'checkout.process', 'payment.process']));
    expect(spans[0].traceId).toMatch(/^[0-9a-f]{32}$/);
  });

  it('returns events with their event name and says which signal each record holds', async () => {
    const { records } = await page('otlp_events/records?format=otlp-json');
    expect(records).not.toHaveLength(0);
    expect(records.every((r) => r.signal === 'events')).toBe(true);
    // biome-ignore lint/suspicious/noExplicitAny: OTLP/JSON as the API returns it
    const names = records.flatMap((r: any) => r.value.resourceLogs.flatMap((rl: any) => rl.scopeLogs.flatMap((sl: any) => sl.logRecords.map((l: any) => l.eventName))));
    expect(new Set(names)).toEqual(new Set(['shop.checkout.completed']));
  });

  it('keeps a value that is not OTLP in base64 and says why it did not decode', async () => {
    const { records } = await page('raw/records?format=otlp-json');
    expect(records).toHaveLength(1);
    expect(records[0].value).toBe(Buffer.from('not protobuf at all \xff').toString('base64'));
    expect(records[0].decodeError).toMatch(/otlp-signal|malformed|cannot/i);
  });

  it('starts at the first record at or after a time with timestamp=ms', async () => {
    const all = await page('otlp_spans/records?limit=1000');
    const fromStart = await page(`otlp_spans/records?timestamp=${sentAt - 60_000}&limit=1000`);
    expect(fromStart.records.map((r) => r.offset)).toEqual(all.records.map((r) => r.offset));
    const later = all.records[all.records.length - 1];
    const fromLast = await page(`otlp_spans/records?timestamp=${later.timestamp}&limit=1000`);
    expect(fromLast.records[0].timestamp).toBeGreaterThanOrEqual(later.timestamp);
    expect(fromLast.records.map((r) => r.offset)).toContain(later.offset);
    expect((await page(`otlp_spans/records?timestamp=${Date.now() + 3_600_000}`)).records).toEqual([]);
  });

  it('refuses an offset and a timestamp together, and an unknown format', async () => {
    const both = await fetch(`${base}/api/v1/topics/otlp_spans/records?offset=0&timestamp=0`);
    expect(both.status).toBe(400);
    expect((await json(both)).error.message).toMatch(/offset or timestamp/);
    const format = await fetch(`${base}/api/v1/topics/otlp_spans/records?format=xml`);
    expect(format.status).toBe(400);
    expect((await json(format)).error.message).toMatch(/format/);
  });
});
