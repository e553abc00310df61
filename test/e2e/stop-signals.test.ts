import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { eventually, startGatewayProcess, tributaryCommand } from './cli-process.js';

const SPANS = JSON.stringify({
  resourceSpans: [
    {
      resource: { attributes: [{ key: 'service.name', value: { stringValue: 'drain' } }] },
      scopeSpans: [{ spans: [{ traceId: '0102030405060708090a0b0c0d0e0f10', spanId: '0102030405060708', name: 'late', startTimeUnixNano: '1', endTimeUnixNano: '2' }] }],
    },
  ],
});

/** Whether a TCP connection to the address is accepted now. */
function accepts(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Behind a load balancer that probes /readyz: on SIGTERM the gateway says it is not ready, and
 * keeps accepting for `receiver.shutdown_delay` so that the balancer stops sending before the
 * listeners close, instead of clients meeting refused connections.
 */
describe('tributary start stopped by a signal', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-e2e-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('answers /readyz 503 on SIGTERM while the receiver still takes requests, then closes and exits 0', async () => {
    const config = join(dir, 'tributary.yaml');
    writeFileSync(
      config,
      [
        'receiver: { endpoint: "${env:TRIBUTARY_RECEIVER_ENDPOINT}", shutdown_delay: 3s }',
        'admin: { endpoint: "${env:TRIBUTARY_ADMIN_ENDPOINT}" }',
        'kafka: { listener: "${env:TRIBUTARY_KAFKA_LISTENER}" }',
        'log: { data_dir: "${env:TRIBUTARY_DATA_DIR}", brokers: 1, fsync: never }',
        '',
      ].join('\n'),
    );
    const gateway = await startGatewayProcess({ config });
    try {
      process.kill(gateway.pid, 'SIGTERM');
      await eventually('/readyz to answer 503', () => fetch(`${gateway.adminUrl}/readyz`).then((r) => r.status === 503, () => false), 5_000);
      // Not ready, and still serving: a request that a balancer sent meanwhile is stored.
      const late = await fetch(`${gateway.receiverUrl}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: SPANS });
      expect(late.status).toBe(200);
      expect(await accepts(`tcp://${gateway.kafkaListener}`)).toBe(true);
      await eventually('the receiver to stop accepting', async () => !(await accepts(gateway.receiverUrl)), 20_000);
      expect(await gateway.exited).toBe(0);
      expect(gateway.output()).toMatch(/SIGTERM: shutting down[\s\S]*not ready: the listeners stop accepting in 3000 ms \(receiver\.shutdown_delay\)[\s\S]*stopped cleanly/);
    } finally {
      await gateway.stop();
    }
  }, 90_000);

  it('takes a copy of the signal that follows at once (timeout(1) signals the process, then its group) as the same request: a clean stop, exit 0', async () => {
    const gateway = await startGatewayProcess();
    try {
      process.kill(gateway.pid, 'SIGTERM');
      await new Promise((resolve) => setTimeout(resolve, 50));
      process.kill(gateway.pid, 'SIGTERM');
      expect(await gateway.exited).toBe(0);
      expect(gateway.output()).toMatch(/stopped cleanly/);
      expect(gateway.output()).not.toMatch(/second SIGTERM/);
    } finally {
      await gateway.stop();
    }
  }, 90_000);

  it('stops cleanly on SIGHUP, as when the terminal it was started from closes', async () => {
    const gateway = await startGatewayProcess();
    try {
      process.kill(gateway.pid, 'SIGHUP');
      expect(await gateway.exited).toBe(0);
      expect(gateway.output()).toMatch(/SIGHUP: shutting down[\s\S]*stopped cleanly/);
    } finally {
      await gateway.stop();
    }
  }, 90_000);

  it('stops cleanly on a signal that comes while it is still starting (its log already open), once it has started', async () => {
    const dataDir = mkdtempSync(join(dir, 'starting-'));
    const env = { ...process.env, TRIBUTARY_DATA_DIR: dataDir, TRIBUTARY_RECEIVER_ENDPOINT: '127.0.0.1:0', TRIBUTARY_ADMIN_ENDPOINT: '127.0.0.1:0', TRIBUTARY_KAFKA_LISTENER: '' };
    const [command, ...args] = tributaryCommand(['start']);
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      // The log takes its lock as it starts, before the rest of the gateway is loaded.
      await eventually('the data directory to be locked', async () => existsSync(join(dataDir, 'meta', 'lock.sock')), 45_000);
      child.kill('SIGINT');
      expect(await exited, output).toBe(0);
      expect(output).toMatch(/SIGINT: shutting down[\s\S]*stopped cleanly/);
    } finally {
      child.kill('SIGKILL');
    }
  }, 90_000);
});
