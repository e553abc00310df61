import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, type GatewayProcess, startGatewayProcess, tributary } from './cli-process.js';

/** The README's first five minutes, step by step, from an empty data directory. */
describe('README walk-through', () => {
  let gateway: GatewayProcess;
  let admin: Record<string, string>;

  beforeAll(async () => {
    gateway = await startGatewayProcess();
    admin = { TRIBUTARY_ADMIN_URL: gateway.adminUrl };
  }, 60_000);
  afterAll(async () => {
    await gateway?.stop();
  });

  it('send: sample telemetry of all four signals is acknowledged', async () => {
    const sent = await tributary(['send', '--endpoint', gateway.receiverUrl, '--json']);
    expect(sent.stderr).toBe('');
    expect(sent.code).toBe(0);
    expect(JSON.parse(sent.stdout)).toEqual({ traces: 20, spans: 60, logs: 60, events: 20, metricRecordings: 120 });
  });

  it('topics list: the four signal topics hold the records', async () => {
    const listed = await tributary(['topics', 'list', '--json'], admin);
    expect(listed.code).toBe(0);
    const topics = JSON.parse(listed.stdout).topics as { name: string; partitions: { highWatermark: number }[] }[];
    const records = Object.fromEntries(topics.map((t) => [t.name, t.partitions.reduce((n, p) => n + p.highWatermark, 0)]));
    // One record per trace per service request (60 spans in 20 traces, each service's batch split by trace).
    expect(records.otlp_spans).toBeGreaterThanOrEqual(20);
    expect(records.otlp_metrics).toBeGreaterThanOrEqual(3);
    expect(records.otlp_logs).toBeGreaterThanOrEqual(3);
    expect(records.otlp_events).toBeGreaterThanOrEqual(1);
    const table = await tributary(['topics', 'list'], admin);
    expect(table.stdout).toMatch(/^TOPIC\s+PARTITIONS\s+RECORDS\s+SIZE/);
  });

  it('tail: one summary line per record; --decode shows OTLP/JSON', async () => {
    const tail = await tributary(['tail', 'otlp_spans', '--from-beginning', '--max', '5'], admin);
    expect(tail.code).toBe(0);
    const lines = tail.stdout.trim().split('\n');
    expect(lines).toHaveLength(5);
    for (const line of lines) expect(line).toMatch(/^otlp_spans\/\d+@\d+ \S+ traces items=\d+ services=(frontend|checkout|payment)/);

    const decoded = await tributary(['tail', 'otlp_events', '--from-beginning', '--max', '1', '--decode'], admin);
    expect(decoded.code).toBe(0);
    expect(decoded.stdout).toContain('"eventName": "shop.checkout.completed"');
  });

  it('groups describe: the debug pipeline catches up to lag 0', async () => {
    const described = await eventually('debug group lag 0', async () => {
      const r = await tributary(['groups', 'describe', 'debug', '--json'], admin);
      const d = JSON.parse(r.stdout) as { totalLag: number; members: unknown[]; partitions: { committedOffset: number | null }[] };
      return d.totalLag === 0 && d.partitions.some((p) => p.committedOffset !== null) ? d : undefined;
    });
    expect(described.members).toHaveLength(1);
    expect(gateway.output()).toMatch(/debug traces records=\d+ items=\d+ services=/);
  });

  it('metrics: the receiver counted what it accepted', async () => {
    const text = await (await fetch(`${gateway.adminUrl}/metrics`)).text();
    expect(text).toMatch(/tributary_receiver_items_total\{signal="traces"\} 60/);
    expect(text).toMatch(/tributary_receiver_items_total\{signal="events"\} 20/);
  });

  it('Ctrl-C: the gateway stops cleanly', async () => {
    const output = gateway.output;
    const code = await gateway.stop();
    gateway = undefined as unknown as GatewayProcess;
    expect(code).toBe(0);
    expect(output()).toContain('stopped cleanly');
  });
});
