import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { InMemoryLogRecordExporter, LoggerProvider, type ReadableLogRecord, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { createGateway, type Gateway } from '../../src/gateway.js';
import { silentLogger } from '../../src/telemetry/logger.js';
import { makeSpans, serviceResource } from '../otlp/fixtures.js';
import { send } from '../otlp/send.js';
import { eventually } from './helpers.js';

const TOKENS = { 'team-a': 'token-of-team-a-0123456789', 'team-b': 'token-of-team-b-0123456789' };
type Tenant = keyof typeof TOKENS;

/**
 * Two teams' subscriptions on the same topics: `checkout-a` wants team A's checkout traces and
 * logs, `errors` wants every log record and event at ERROR or above, whoever sent it.
 */
function configYaml(dir: string): string {
  return `receiver:
  endpoint: "127.0.0.1:0"
  workers: 1
  auth:
    tokens:
      - { token: ${TOKENS['team-a']}, tenant: team-a }
      - { token: ${TOKENS['team-b']}, tenant: team-b }
admin: { endpoint: "127.0.0.1:0" }
kafka: { listener: "" }
log: { data_dir: ${join(dir, 'data')}, brokers: 1, fsync: never }
topics: { otlp_spans: { partitions: 2 }, otlp_logs: { partitions: 2 }, otlp_events: { partitions: 2 } }
groups: { session_timeout: 3s, heartbeat_interval: 100ms, rebalance_timeout: 2s }
pipelines:
  - group: checkout-a
    topics: [otlp_spans, otlp_logs, otlp_events]
    sink: { type: file, path: ${join(dir, 'checkout-a.jsonl')} }
    filter:
      resource: { service.name: [checkout] }
      tenants: [team-a]
      signals: [traces, logs]
  - group: errors
    topics: [otlp_spans, otlp_logs, otlp_events]
    sink: { type: file, path: ${join(dir, 'errors.jsonl')} }
    filter:
      min_severity: error
      signals: [logs, events]
`;
}

const SEVERITIES = [0, 5, 9, 13, 17, 21];

/** Log records (or events) of every severity from `service`, each body naming what it is: `tenant/service/kind/severity/i`. */
function leveledLogs(tenant: Tenant, service: string, kind: 'log' | 'event'): ReadableLogRecord[] {
  const exporter = new InMemoryLogRecordExporter();
  const provider = new LoggerProvider({ resource: serviceResource(service), processors: [new SimpleLogRecordProcessor({ exporter })] });
  const logger = provider.getLogger('app');
  for (let i = 0; i < 2; i++) {
    for (const severityNumber of SEVERITIES) {
      logger.emit({ body: `${tenant}/${service}/${kind}/${severityNumber}/${i}`, severityNumber, ...(kind === 'event' ? { eventName: 'cart.checkout' } : {}) });
    }
  }
  return exporter.getFinishedLogRecords();
}

interface Sent {
  tenant: Tenant;
  service: string;
  spans: ReadableSpan[];
  logs: ReadableLogRecord[];
}

/** What a file sink wrote: span ids and log record bodies, duplicates kept; undefined while a line is still being written. */
function itemsIn(file: string): { spans: string[]; logs: string[] } | undefined {
  if (!existsSync(file)) return { spans: [], logs: [] };
  const lines = readFileSync(file, 'utf8').split('\n');
  if (lines.pop() !== '') return undefined;
  type Line = {
    resourceSpans?: { scopeSpans: { spans: { spanId: string }[] }[] }[];
    resourceLogs?: { scopeLogs: { logRecords: { body: { stringValue: string } }[] }[] }[];
  };
  const parsed = lines.map((line) => JSON.parse(line) as Line);
  return {
    spans: parsed.flatMap((l) => (l.resourceSpans ?? []).flatMap((r) => r.scopeSpans.flatMap((s) => s.spans.map((x) => x.spanId)))),
    logs: parsed.flatMap((l) => (l.resourceLogs ?? []).flatMap((r) => r.scopeLogs.flatMap((s) => s.logRecords.map((x) => x.body.stringValue)))),
  };
}

describe('pipeline filters, end to end', () => {
  let running: Gateway | undefined;
  let dir: string | undefined;
  afterEach(async () => {
    await running?.shutdown();
    if (dir) rmSync(dir, { recursive: true, force: true });
    running = dir = undefined;
  });

  it('two pipelines on the same topics each receive exactly what their filter subscribes to, and commit the rest', async () => {
    dir = mkdtempSync(join(tmpdir(), 'tributary-filters-'));
    const configFile = join(dir, 'tributary.yaml');
    writeFileSync(configFile, configYaml(dir));
    running = createGateway(loadConfig(configFile, {}), { logger: silentLogger });
    await running.start();
    const receiver = `http://127.0.0.1:${running.receiverAddress().port}`;
    const admin = `http://127.0.0.1:${running.adminAddress().port}`;

    const sent: Sent[] = [];
    for (const tenant of ['team-a', 'team-b'] as const) {
      const headers = { Authorization: `Bearer ${TOKENS[tenant]}` };
      for (const service of ['checkout', 'search']) {
        const spans = makeSpans({ service, traces: 4, spansPerTrace: 3 });
        const logs = [...leveledLogs(tenant, service, 'log'), ...leveledLogs(tenant, service, 'event')];
        await send(new OTLPTraceExporter({ url: `${receiver}/v1/traces`, headers }), spans);
        await send(new OTLPLogExporter({ url: `${receiver}/v1/logs`, headers }), logs);
        sent.push({ tenant, service, spans, logs });
      }
    }
    // Team A's search logs are all below ERROR: the `errors` pipeline filters that whole record out.
    await send(new OTLPLogExporter({ url: `${receiver}/v1/logs`, headers: { Authorization: `Bearer ${TOKENS['team-a']}` } }), leveledLogs('team-a', 'quiet', 'log').filter((l) => (l.severityNumber ?? 0) < 17));

    const body = (l: ReadableLogRecord) => l.body as string;
    const checkoutA = sent.filter((s) => s.tenant === 'team-a' && s.service === 'checkout');
    const expected = {
      'checkout-a': {
        spans: checkoutA.flatMap((s) => s.spans.map((x) => x.spanContext().spanId)),
        logs: checkoutA.flatMap((s) => s.logs.filter((l) => !l.eventName).map(body)),
      },
      errors: { spans: [], logs: sent.flatMap((s) => s.logs.filter((l) => (l.severityNumber ?? 0) >= 17).map(body)) },
    };
    expect(expected['checkout-a'].spans).toHaveLength(12);
    expect(expected['checkout-a'].logs).toHaveLength(12);
    expect(expected.errors.logs).toHaveLength(4 * 2 * 2 * 2);

    for (const group of ['checkout-a', 'errors'] as const) {
      const file = join(dir, `${group}.jsonl`);
      const want = expected[group];
      // At least once: duplicates are allowed, nothing may be missing, nothing extra.
      const got = await eventually(`${group} received its items`, () => {
        const items = itemsIn(file);
        return items && new Set(items.spans).size >= want.spans.length && new Set(items.logs).size >= want.logs.length && items;
      });
      expect([...new Set(got.spans)].sort()).toEqual([...want.spans].sort());
      expect([...new Set(got.logs)].sort()).toEqual([...want.logs].sort());
    }

    // Filtered records are committed: both groups catch up on every partition that holds records.
    for (const group of ['checkout-a', 'errors']) {
      await eventually(`${group} lag 0`, async () => {
        const { partitions } = (await (await fetch(`${admin}/api/v1/groups/${group}`)).json()) as { partitions: { highWatermark: number; lag: number | null }[] };
        // A partition that never held a record has nothing to commit.
        return partitions.length === 6 && partitions.every((p) => p.lag === 0 || p.highWatermark === 0);
      });
    }

    const metrics = await (await fetch(`${admin}/metrics`)).text();
    const counter = (name: string, group: string) => Number(new RegExp(`^${name}\\{pipeline="${group}"\\} (\\d+)$`, 'm').exec(metrics)?.[1] ?? 0);
    // checkout-a: every trace record but team A's checkout ones (16 - 4), every log and event record but one (9 - 1).
    expect(counter('tributary_sink_filtered_total', 'checkout-a')).toBeGreaterThanOrEqual(12 + 8);
    // errors: every trace record (16), and the quiet record, whose log records are all below ERROR.
    expect(counter('tributary_sink_filtered_total', 'errors')).toBeGreaterThanOrEqual(16 + 1);
    // errors trimmed 8 records below ERROR out of each of its 8 kept log and event records.
    expect(counter('tributary_sink_filtered_items_total', 'errors')).toBeGreaterThanOrEqual(8 * 8);
    expect(counter('tributary_sink_filtered_items_total', 'checkout-a')).toBe(0);
    // Each pipeline has its dead_lettered series from its start (at 0: none went there).
    expect(metrics).toMatch(/tributary_sink_records_total\{pipeline="errors",outcome="dead_lettered"\} 0$/m);
    expect(metrics).not.toMatch(/tributary_sink_records_total\{pipeline="[^"]+",outcome="dead_lettered"\} [1-9]/);
  });
});
