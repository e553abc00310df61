import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { capability } from '../capability.js';
import { type GatewayProcess, startGatewayProcess } from './cli-process.js';

/**
 * A gateway whose open-file limit is 512 (its soft and hard limit, as `ulimit -n 512` or a
 * container's nofile gives it), with connection limits at their defaults (1024 OTLP, 1024 Kafka):
 * idle clients must not take the descriptors the log needs. Segments of 1 KiB: every span request
 * below rolls one, opening two files.
 */
const CONFIG = `
receiver: { endpoint: "\${env:TRIBUTARY_RECEIVER_ENDPOINT}", workers: 1 }
admin: { endpoint: "\${env:TRIBUTARY_ADMIN_ENDPOINT}" }
kafka: { listener: "\${env:TRIBUTARY_KAFKA_LISTENER}" }
log: { data_dir: "\${env:TRIBUTARY_DATA_DIR}", brokers: 1, fsync: never, segment_bytes: 1024, retention_bytes: 8192 }
topics:
  otlp_spans: { partitions: 1 }
  otlp_metrics: { partitions: 1 }
  otlp_logs: { partitions: 1 }
  otlp_events: { partitions: 1 }
`;

const canLimit = process.platform === 'linux' && capability("changing a process's open-file limit", ['prlimit', '--nofile=512:512', 'true']);

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

/** `count` TCP connections to `hostPort` that send nothing; resolves once each is open or closed by the server. */
async function idleConnections(hostPort: string, count: number): Promise<Socket[]> {
  const [host, port] = hostPort.split(':');
  const sockets = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<Socket>((resolve) => {
          const s = connect(Number(port), host, () => resolve(s));
          s.on('error', () => resolve(s));
        }),
    ),
  );
  cleanups.push(() => {
    for (const s of sockets) s.destroy();
  });
  return sockets;
}

/** The status of one OTLP request, 0 when it got no answer within 5 s (its connection never served). */
function postSpan(receiverUrl: string): Promise<number> {
  const span = { traceId: randomBytes(16).toString('hex'), spanId: randomBytes(8).toString('hex'), name: 'x'.repeat(2000), kind: 1, startTimeUnixNano: '1', endTimeUnixNano: '2' };
  const body = JSON.stringify({ resourceSpans: [{ resource: {}, scopeSpans: [{ scope: { name: 't' }, spans: [span] }] }] });
  return fetch(`${receiverUrl}/v1/traces`, { method: 'POST', body, headers: { 'content-type': 'application/json' }, signal: AbortSignal.timeout(5_000) }).then(
    (r) => r.status,
    () => 0,
  );
}

describe.runIf(canLimit)('a gateway with few file descriptors (ulimit -n 512)', () => {
  it('keeps its connections within the descriptors it has, so idle Kafka clients cannot stop the log from rolling segments; it says so at start', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tributary-connections-fds-'));
    const config = join(dir, 'tributary.yaml');
    writeFileSync(config, CONFIG);
    const gateway: GatewayProcess = await startGatewayProcess({ config, dataDir: join(dir, 'data'), wrapper: ['prlimit', '--nofile=512:512', '--'] });
    cleanups.unshift(() => {
      try {
        process.kill(gateway.pid, 'SIGKILL');
      } catch {}
      rmSync(dir, { recursive: true, force: true });
    });
    expect(gateway.output()).toMatch(/connection limits .*ulimit -n 512.*kafka\.max_connections 1024 to \d+/);

    // Within kafka.max_connections (1024), more than the process has descriptors for.
    await idleConnections(gateway.kafkaListener, 500);
    await new Promise((r) => setTimeout(r, 500));
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) statuses.push(await postSpan(gateway.receiverUrl));
    expect(statuses).toEqual(Array.from({ length: 20 }, () => 200));
    expect(await gateway.stop()).toBe(0);
  }, 60_000);
});
