import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type ConfiguredGateway, startFromConfigFile } from '../sinks/helpers.js';
import { canMountSmallDisk, fillDisk, mountSmallDisk } from '../small-disk.js';

/**
 * A data directory that ingest itself fills (no filler file): the way out an operator has without
 * touching files is lowering a topic's retention through the admin API.
 */
const canMount = canMountSmallDisk();

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function startGateway(dataDir: string): Promise<ConfiguredGateway> {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-retention-full-'));
  const running = await startFromConfigFile(dir, dataDir, `topics: { otlp_spans: { partitions: 1 }, otlp_metrics: { partitions: 1 }, otlp_logs: { partitions: 1 }, otlp_events: { partitions: 1 } }\n`, ', segment_bytes: 256KiB');
  cleanups.unshift(async () => {
    await running.gateway.shutdown();
    rmSync(dir, { recursive: true, force: true });
  });
  return running;
}

/** One OTLP/JSON request of a span with a 20 KB name. */
function postSpan(receiver: string): Promise<Response> {
  const span = { traceId: randomBytes(16).toString('hex'), spanId: randomBytes(8).toString('hex'), name: 'x'.repeat(20_000), kind: 1, startTimeUnixNano: '1', endTimeUnixNano: '2' };
  const body = JSON.stringify({ resourceSpans: [{ resource: {}, scopeSpans: [{ scope: { name: 't' }, spans: [span] }] }] });
  return fetch(`${receiver}/v1/traces`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
}

describe.runIf(canMount)('a data directory filled by ingest (a 4 MiB tmpfs)', () => {
  it("lowering a topic's retention through the admin API makes room: it is accepted and saved, and ingest goes on without a restart", async () => {
    const disk = mountSmallDisk('4m');
    cleanups.push(() => disk.unmount());
    const dataDir = join(disk.path, 'data');
    const { admin, receiver } = await startGateway(dataDir);

    let refused: Response | undefined;
    for (let i = 0; i < 1000 && !refused; i++) {
      const reply = await postSpan(receiver);
      if (reply.status !== 200) refused = reply;
    }
    expect(refused?.status).toBe(503);
    expect(refused?.headers.get('retry-after')).toBe('1');
    // What the refused writes left free is taken too (another writer on the disk): not a page is left.
    fillDisk(join(disk.path, 'other'), 4096);

    const altered = await fetch(`${admin}/api/v1/topics/otlp_spans`, { method: 'PATCH', body: JSON.stringify({ retentionBytes: 512 * 1024 }) });
    expect(altered.status, await altered.clone().text()).toBe(200);
    const topic = (await altered.json()) as { settings: { retentionBytes?: number }; partitions: { logStartOffset: number }[] };
    expect(topic.settings.retentionBytes).toBe(512 * 1024);
    expect(topic.partitions[0].logStartOffset).toBeGreaterThan(0);
    for (let i = 0; i < 5; i++) expect((await postSpan(receiver)).status).toBe(200);

    // Saved: the next start has it.
    await cleanups.shift()!();
    const again = await startGateway(dataDir);
    const stored = (await (await fetch(`${again.admin}/api/v1/topics/otlp_spans`)).json()) as { settings: { retentionBytes?: number } };
    expect(stored.settings.retentionBytes).toBe(512 * 1024);
  });
});
