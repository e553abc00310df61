import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { configSchema } from '../../src/config/schema.js';
import { createGateway, type Gateway } from '../../src/gateway.js';
import { packageRoot } from '../../src/paths.js';
import { silentLogger } from '../../src/telemetry/logger.js';
import { Telemetry } from '../../src/telemetry/telemetry.js';
import { capability } from '../capability.js';
import { findPrometheus, type PrometheusServer, startPrometheus } from '../sinks/prometheus-server.js';
import { tributary } from './cli-process.js';
import { dashboard, metricNames } from './dashboard-files.js';

const ALERTS = join(packageRoot, 'deploy', 'prometheus', 'alerts.yml');

/** Overview panels with no series until something fails: recovery cut nothing on a clean start. */
const EMPTY_UNTIL_FAILURE = new Set(['sum by (topic, partition) (tributary_log_recovery_truncated_bytes_total)']);

interface QueryAnswer {
  status: 'success' | 'error';
  error?: string;
  data?: { result: unknown[] };
}

interface RulesAnswer {
  data: { groups: { rules: { name: string; query: string; health: string; lastError?: string }[] }[] };
}

const hasPrometheus = capability('running Prometheus (Debian package prometheus)', ['prometheus', '--version']);

/**
 * The overview dashboard and the shipped alert rules against what a real Prometheus scrapes from a
 * real gateway after `tributary send`: every expression parses, every panel that must have data
 * has it, and every alert evaluates without error over metrics that exist.
 */
describe.skipIf(!hasPrometheus)('the overview dashboard and the alerts in Prometheus scraping a gateway', () => {
  let dir: string;
  let gateway: Gateway;
  let prometheus: PrometheusServer;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tributary-self-telemetry-'));
    const config = configSchema.parse({
      receiver: { endpoint: '127.0.0.1:0', workers: 1 },
      admin: { endpoint: '127.0.0.1:0' },
      kafka: { listener: '' },
      log: { data_dir: join(dir, 'data'), brokers: 1, fsync: 'never' },
      sinks: { workers: 1 },
      pipelines: [{ group: 'archive', topics: ['otlp_spans', 'otlp_metrics', 'otlp_logs'], sink: { type: 'file', path: join(dir, 'archive.jsonl') } }],
    });
    // As `tributary start` has it: the process metrics the file descriptor alert reads.
    gateway = createGateway(config, { logger: silentLogger, telemetry: new Telemetry({ defaultMetrics: true }) });
    await gateway.start();
    const admin = `127.0.0.1:${gateway.adminAddress().port}`;
    prometheus = await startPrometheus(
      findPrometheus()!,
      `global: { scrape_interval: 1s, evaluation_interval: 1s }
rule_files: ['${ALERTS}']
scrape_configs:
  - job_name: tributary
    static_configs: [{ targets: ['${admin}'] }]
`,
    );
  }, 30_000);
  afterAll(async () => {
    await prometheus?.stop();
    await gateway?.shutdown();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('answers every panel with data after traffic, and evaluates every alert over metrics it scraped', async () => {
    const sent = await tributary(['send', '--endpoint', `http://127.0.0.1:${gateway.receiverAddress().port}`, '--requests', '3']);
    expect(sent.code, sent.stderr).toBe(0);
    const query = (expr: string) => prometheus.api<QueryAnswer>(`/api/v1/query?query=${encodeURIComponent(expr)}`);

    const exprs = dashboard('tributary-overview.json').panels.flatMap((p) => p.targets.map((t) => t.expr));
    const rules = (parseYaml(readFileSync(ALERTS, 'utf8')) as { groups: { rules: { alert: string; expr: string }[] }[] }).groups.flatMap((g) => g.rules);
    // Each metric an alert reads is scraped: a misspelt name would leave its alert silent for ever.
    const alertMetrics = [...new Set(rules.flatMap((r) => metricNames(r.expr)))];
    expect(alertMetrics.length).toBeGreaterThan(8);

    // Rates need two scrapes after the traffic, and the pipeline's export its own.
    const problems = async () => {
      const found: string[] = [];
      for (const expr of exprs) {
        const answer = await query(expr);
        if (answer.status !== 'success') found.push(`${expr}: ${answer.error}`);
        else if (!EMPTY_UNTIL_FAILURE.has(expr) && answer.data!.result.length === 0) found.push(`${expr}: no data`);
      }
      for (const name of alertMetrics) {
        if ((await query(`count(${name})`)).data?.result.length !== 1) found.push(`${name} (read by an alert): not scraped`);
      }
      const evaluated = (await prometheus.api<RulesAnswer>('/api/v1/rules')).data.groups.flatMap((g) => g.rules);
      if (evaluated.length !== rules.length) found.push(`${evaluated.length} of ${rules.length} rules loaded`);
      for (const rule of evaluated) if (rule.health !== 'ok') found.push(`alert ${rule.name}: ${rule.health} ${rule.lastError ?? ''}`);
      return found;
    };
    const deadline = Date.now() + 15_000;
    let found = await problems();
    while (found.length > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 500));
      found = await problems();
    }
    expect(found).toEqual([]);
    for (const expr of EMPTY_UNTIL_FAILURE) expect(exprs).toContain(expr);
    // A healthy gateway after traffic fires none of them.
    const firing = await prometheus.api<{ data: { alerts: { labels: { alertname: string } }[] } }>('/api/v1/alerts');
    expect(firing.data.alerts.map((a) => a.labels.alertname)).toEqual([]);
  }, 40_000);
});
