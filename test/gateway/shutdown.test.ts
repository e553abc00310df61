import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { createGateway } from '../../src/gateway.js';
import { silentLogger } from '../../src/telemetry/logger.js';

let dataDir: string;
afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

/** Whether something listens on the port. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('the gateway shutdown', () => {
  it('runs every component\'s shutdown even when one fails, and reports which', async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'tributary-gateway-'));
    const config = parseConfig(
      `receiver: { endpoint: 127.0.0.1:0, workers: 1 }
admin: { endpoint: 127.0.0.1:0 }
kafka: { listener: '' }
log: { data_dir: ${dataDir}, brokers: 1 }
topics: { otlp_spans: { partitions: 1 }, otlp_metrics: { partitions: 1 }, otlp_logs: { partitions: 1 }, otlp_events: { partitions: 1 } }
`,
      'test',
    );
    const gateway = createGateway(config, { logger: silentLogger });
    await gateway.start();
    const [receiver, admin] = [gateway.receiverAddress().port, gateway.adminAddress().port];
    // The log (third of four) closes its files, then reports a failure.
    const stopLog = gateway.backend.shutdown.bind(gateway.backend);
    vi.spyOn(gateway.backend, 'shutdown').mockImplementationOnce(async () => {
      await stopLog();
      throw new Error('a segment could not be synced');
    });

    const err = await gateway.shutdown().then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err?.message).toMatch(/stopping the log \(a segment could not be synced\) failed/);
    expect(await listening(receiver)).toBe(false);
    // The admin API stops after the log: it was stopped all the same.
    expect(await listening(admin)).toBe(false);
  });
});
