import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_RECORDS_PAGE_BYTES } from '../../src/admin/routes/topics.js';
import { configSchema } from '../../src/config/schema.js';
import { createGateway, type Gateway } from '../../src/gateway.js';
import { silentLogger } from '../../src/telemetry/logger.js';
import { tributary } from '../e2e/cli-process.js';

interface RecordJson {
  offset: number;
  value: string;
}

const RECORD_BYTES = 1024 * 1024;
const RECORDS = 40;

describe('reading records whose values are large', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-records-bytes-'));
  let gateway: Gateway;
  let admin: string;
  beforeAll(async () => {
    gateway = createGateway(
      configSchema.parse({
        receiver: { endpoint: '127.0.0.1:0', workers: 1 },
        admin: { endpoint: '127.0.0.1:0' },
        kafka: { listener: '' },
        log: { data_dir: join(dir, 'data'), brokers: 1, fsync: 'never' },
        topics: { large: { partitions: 1 } },
      }),
      { logger: silentLogger },
    );
    await gateway.start();
    admin = `http://127.0.0.1:${gateway.adminAddress().port}`;
    for (let i = 0; i < RECORDS; i++) await gateway.backend.produce('large', 0, [{ key: null, value: Buffer.alloc(RECORD_BYTES, 97 + (i % 26)) }]);
  });
  afterAll(async () => {
    await gateway?.shutdown();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers pages of a bounded size, whatever limit asks, and the pages read on give every record once', async () => {
    const seen: number[] = [];
    let offset = 0;
    let pages = 0;
    while (seen.length < RECORDS) {
      const res = await fetch(`${admin}/api/v1/topics/large/records?offset=${offset}&limit=1000`);
      expect(res.status).toBe(200);
      const { records } = (await res.json()) as { records: RecordJson[] };
      const bytes = records.reduce((sum, r) => sum + Buffer.from(r.value, 'base64').length, 0);
      // At least one record, and no more than the budget once the record that reached it is in.
      expect(records.length).toBeGreaterThan(0);
      expect(bytes).toBeLessThanOrEqual(MAX_RECORDS_PAGE_BYTES + RECORD_BYTES);
      seen.push(...records.map((r) => r.offset));
      offset = records.at(-1)!.offset + 1;
      pages++;
    }
    expect(seen).toEqual(Array.from({ length: RECORDS }, (_, i) => i));
    expect(pages).toBeGreaterThan(1);
  });

  it('is read whole by `tributary tail`, page after page', async () => {
    // Summary lines (partition, offset, …, size): the values themselves would be 40 MiB of output.
    const tail = await tributary(['tail', 'large', '--from-beginning', '--once', '--admin', admin]);
    expect(tail.code, tail.stderr).toBe(0);
    const lines = tail.stdout.trim().split('\n');
    expect(lines).toHaveLength(RECORDS);
    expect(lines.at(-1)).toMatch(new RegExp(`\\b${RECORDS - 1}\\b`));
  }, 60_000);
});
