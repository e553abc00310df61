import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { afterAll, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { createGateway, type Gateway } from '../../src/gateway.js';
import { silentLogger } from '../../src/telemetry/logger.js';
import { Telemetry } from '../../src/telemetry/telemetry.js';
import { type GatewayProcess, startGatewayProcess, tributary } from '../e2e/cli-process.js';
import { makeSpans } from '../otlp/fixtures.js';
import { eventually } from '../sinks/helpers.js';
import { describeKafka, kafkaConfig, useMockCluster } from './mock-fixture.js';
import { spanIdsInFile } from './span-files.js';

it('refuses a split role on the embedded log, naming what it needs', () => {
  const config = configSchema.parse({ log: { data_dir: join(tmpdir(), 'unused') } });
  expect(() => createGateway(config, { role: 'ingest', logger: silentLogger })).toThrow(/role "ingest" needs log.backend: kafka/);
});

it('tributary start --role ingest on the embedded log exits 2 before opening the log; an unknown role is a usage error', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-role-cli-'));
  try {
    const env = { TRIBUTARY_DATA_DIR: dir, TRIBUTARY_RECEIVER_ENDPOINT: '127.0.0.1:0', TRIBUTARY_ADMIN_ENDPOINT: '127.0.0.1:0' };
    const refused = await tributary(['start', '--role', 'ingest'], env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('role "ingest" needs log.backend: kafka');
    expect(refused.stderr).not.toContain('embedded log');
    const unknown = await tributary(['start', '--role', 'bogus'], env);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('--role expects ingest, sinks or all, got "bogus"');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

describeKafka('roles over Kafka (3-broker librdkafka mock cluster)', () => {
  const cluster = useMockCluster({ otlp_spans: 3, otlp_metrics: 1, otlp_logs: 1, otlp_events: 1 });
  const dir = mkdtempSync(join(tmpdir(), 'tributary-roles-'));
  const sinkPath = join(dir, 'spans.jsonl');
  const gateways: Gateway[] = [];
  afterAll(async () => {
    await Promise.allSettled(gateways.map((g) => g.shutdown()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('an ingest process and a sinks process share the work through Kafka; /readyz reports the role and the cluster', async () => {
    const config = kafkaConfig(cluster(), {
      receiver: { endpoint: '127.0.0.1:0', workers: 1 },
      admin: { endpoint: '127.0.0.1:0' },
      pipelines: [{ group: 'files', topics: ['otlp_spans'], sink: { type: 'file', path: sinkPath } }],
    });
    const ingest = createGateway(config, { role: 'ingest', logger: silentLogger, telemetry: new Telemetry() });
    const sinks = createGateway(config, { role: 'sinks', logger: silentLogger, telemetry: new Telemetry() });
    gateways.push(ingest, sinks);
    await Promise.all([ingest.start(), sinks.start()]);
    expect(() => sinks.receiverAddress()).toThrow(/role "sinks"/);

    for (const [gateway, role] of [
      [ingest, 'ingest'],
      [sinks, 'sinks'],
    ] as const) {
      const readyz = await fetch(`http://127.0.0.1:${gateway.adminAddress().port}/readyz`);
      expect(readyz.status).toBe(200);
      expect(await readyz.json()).toMatchObject({ status: 'ready', role, log: { connected: true, brokers: cluster().brokers } });
    }

    const spans = makeSpans({ service: 'roles', traces: 6, spansPerTrace: 2 });
    const exporter = new OTLPTraceExporter({ url: `http://127.0.0.1:${ingest.receiverAddress().port}/v1/traces`, timeoutMillis: 30_000 });
    const result = await new Promise<{ code: number }>((resolve) => exporter.export(spans, resolve));
    await exporter.shutdown();
    expect(result.code).toBe(0);
    const sent = spans.map((s) => s.spanContext().spanId).sort();
    await eventually('every span in the sinks process file', () => JSON.stringify(spanIdsInFile(sinkPath).sort()) === JSON.stringify(sent), 30_000);
    // The ingest process ran no pipeline: the sinks process's group did the delivering, and
    // commits once the file has them.
    const written = (await ingest.backend.describeTopic('otlp_spans')).partitions.reduce((n, p) => n + p.highWatermark, 0);
    await eventually(
      'the sinks process committed every record',
      async () => (await sinks.backend.fetchOffsets('files', [0, 1, 2].map((partition) => ({ topic: 'otlp_spans', partition })))).reduce((n, o) => n + o.offset, 0) === written,
      30_000,
    );
  }, 60_000);

  it('tributary start --role ingest starts no sink worker threads for the pipelines of a config shared with the sinks processes', async () => {
    /** The process's threads that Node runs (its main thread, V8's helpers, worker threads), not librdkafka's (rdk:*). */
    const nodeThreads = (pid: number) => readdirSync(`/proc/${pid}/task`).filter((t) => readFileSync(`/proc/${pid}/task/${t}/comm`, 'utf8').trim() === 'node').length;
    const start = (name: string, pipelines: string) => {
      const config = join(dir, `${name}.yaml`);
      writeFileSync(
        config,
        `receiver: { endpoint: "\${env:TRIBUTARY_RECEIVER_ENDPOINT}", workers: 1 }
admin: { endpoint: "\${env:TRIBUTARY_ADMIN_ENDPOINT}" }
log: { backend: kafka, kafka: { brokers: [${cluster().brokers.join(', ')}] } }
sinks: { workers: 3 }
pipelines: ${pipelines}
`,
      );
      return startGatewayProcess({ config, args: ['--role', 'ingest'], env: { TRIBUTARY_LOG_LEVEL: 'warn' } });
    };
    const pipelines = ['a', 'b', 'c'].map((g) => `\n  - { group: ${g}, topics: [otlp_spans], sink: { type: file, path: ${join(dir, `${g}.jsonl`)} } }`).join('');
    const processes: GatewayProcess[] = [];
    try {
      processes.push(await start('with-pipelines', pipelines), await start('without-pipelines', '[]'));
      const [withPipelines, without] = processes;
      // Each idle thread is a V8 heap with the sink modules loaded, held for the process's life.
      // Node starts a helper thread some time after start-up: equal once both processes have it.
      await eventually('the ingest process with pipelines runs as many threads as the one without', () => nodeThreads(withPipelines.pid) === nodeThreads(without.pid), 20_000);
    } finally {
      await Promise.allSettled(processes.map((p) => p.stop()));
    }
  }, 60_000);
});
