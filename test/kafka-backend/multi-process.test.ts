import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { afterAll, expect, it } from 'vitest';
import { eventually, type GatewayProcess, startGatewayProcess } from '../e2e/cli-process.js';
import { makeSpans } from '../otlp/fixtures.js';
import { describeKafka, useMockCluster } from './mock-fixture.js';
import { spanIdsInFile } from './span-files.js';

const SPANS_PER_BATCH = 10;
const MAX_BATCHES_BEFORE_KILL = 150;
const BATCHES_AFTER_KILL = 20;

describeKafka('a fleet over Kafka: two ingest processes, two sink processes in one group (3-broker librdkafka mock cluster)', () => {
  const cluster = useMockCluster({ otlp_spans: 4, otlp_metrics: 1, otlp_logs: 1, otlp_events: 1 });
  const dir = mkdtempSync(join(tmpdir(), 'tributary-fleet-'));
  const processes: GatewayProcess[] = [];
  afterAll(async () => {
    await Promise.allSettled(processes.map((p) => p.stop()));
    rmSync(dir, { recursive: true, force: true });
  });

  let configs = 0;
  /** `tributary start --role ROLE` with a config whose one pipeline, group "delivery", writes to `file`. */
  const start = (role: 'ingest' | 'sinks', file: string) => {
    const config = join(dir, `${role}-${configs++}.yaml`);
    writeFileSync(
      config,
      `receiver: { endpoint: "\${env:TRIBUTARY_RECEIVER_ENDPOINT}", workers: 1 }
admin: { endpoint: "\${env:TRIBUTARY_ADMIN_ENDPOINT}" }
log:
  backend: kafka
  kafka: { brokers: [${cluster().brokers.join(', ')}], client_id: fleet-${role} }
topics: { otlp_spans: { partitions: 4 }, otlp_metrics: { partitions: 1 }, otlp_logs: { partitions: 1 }, otlp_events: { partitions: 1 } }
groups: { session_timeout: 6s, heartbeat_interval: 500ms, rebalance_timeout: 6s }
pipelines:
  - group: delivery
    topics: [otlp_spans]
    sink: { type: file, path: ${file} }
`,
    );
    return startGatewayProcess({ config, args: ['--role', role], env: { TRIBUTARY_LOG_LEVEL: 'warn' } });
  };

  it('every span acknowledged to the exporters reaches the sink at least once when a sink process is killed with SIGKILL', async () => {
    const files = [join(dir, 'sink-a.jsonl'), join(dir, 'sink-b.jsonl')];
    const started = await Promise.all([start('ingest', join(dir, 'unused-a')), start('ingest', join(dir, 'unused-b')), start('sinks', files[0]), start('sinks', files[1])]);
    processes.push(...started);
    const [ingestA, ingestB, sinkA, sinkB] = started;

    const acknowledged: string[] = [];
    let batches = 0;
    const sendBatch = async () => {
      const spans = makeSpans({ service: `fleet-${batches}`, traces: SPANS_PER_BATCH / 2, spansPerTrace: 2 });
      const ingest = batches++ % 2 === 0 ? ingestA : ingestB;
      const exporter = new OTLPTraceExporter({ url: `${ingest.receiverUrl}/v1/traces`, timeoutMillis: 30_000 });
      const result = await new Promise<{ code: number }>((resolve) => exporter.export(spans, resolve));
      await exporter.shutdown();
      if (result.code === 0) acknowledged.push(...spans.map((s) => s.spanContext().spanId));
      await new Promise((r) => setTimeout(r, 100));
    };
    // Traffic until both sink processes delivered some (the group has settled on both members), ...
    while (spanIdsInFile(files[0]).length === 0 || spanIdsInFile(files[1]).length === 0) {
      if (batches > MAX_BATCHES_BEFORE_KILL) throw new Error(`the two sink processes never both delivered (${spanIdsInFile(files[0]).length}, ${spanIdsInFile(files[1]).length} spans):\n${sinkA.output().slice(-2000)}\n---\n${sinkB.output().slice(-2000)}`);
      await sendBatch();
    }
    // ... then one of them crashes mid-run while traffic goes on.
    await sinkB.kill();
    for (let i = 0; i < BATCHES_AFTER_KILL; i++) await sendBatch();
    expect(acknowledged.length).toBe(batches * SPANS_PER_BATCH);

    // The survivor takes the killed member's partitions after its session and reads from their commits.
    const delivered = await eventually(
      'every acknowledged span in the sink files',
      async () => {
        const all = [...spanIdsInFile(files[0]), ...spanIdsInFile(files[1])];
        const unique = new Set(all);
        return acknowledged.every((id) => unique.has(id)) && all;
      },
      60_000,
    );
    const duplicates = delivered.length - new Set(delivered).size;
    console.log(`fleet: ${acknowledged.length} spans acknowledged, ${delivered.length} delivered, ${duplicates} duplicates after the SIGKILL`);
    expect(duplicates).toBeGreaterThanOrEqual(0);
    expect((await fetch(`${sinkA.adminUrl}/readyz`).then((r) => r.json())) as object).toMatchObject({ role: 'sinks', log: { connected: true } });
  }, 150_000);
});
