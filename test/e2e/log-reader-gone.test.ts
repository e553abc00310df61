import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePorts } from '../../bench/lib/gateway-process.js';
import { packageRoot } from '../../src/paths.js';
import { eventually } from './cli-process.js';

/**
 * `tributary start 2>&1 | tee gateway.log`, or a log shipper reading its stderr: when that reader
 * goes away the gateway must go on serving (without its logs), and still stop cleanly.
 */
describe('tributary start whose log reader has gone', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tributary-e2e-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('keeps serving when its stderr pipe closes, and stops cleanly on SIGINT', async () => {
    const [receiver, admin] = await freePorts(2);
    const adminUrl = `http://127.0.0.1:${admin}`;
    const child = spawn(process.execPath, ['--import', 'tsx', join(packageRoot, 'src', 'cli', 'bin.ts'), 'start'], {
      env: {
        ...process.env,
        TRIBUTARY_DATA_DIR: dataDir,
        TRIBUTARY_RECEIVER_ENDPOINT: `127.0.0.1:${receiver}`,
        TRIBUTARY_ADMIN_ENDPOINT: `127.0.0.1:${admin}`,
        TRIBUTARY_KAFKA_LISTENER: '',
        TRIBUTARY_LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
    try {
      await eventually('the gateway to be ready', () => fetch(`${adminUrl}/readyz`).then((r) => r.ok, () => false), 45_000);
      // The reader goes away; the next log lines meet a closed pipe.
      child.stderr.destroy();
      for (const name of ['after-a', 'after-b']) {
        const created = await fetch(`${adminUrl}/api/v1/topics`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name, partitions: 1 }) });
        expect(created.status).toBe(201);
      }
      await new Promise((r) => setTimeout(r, 500));
      expect(child.exitCode).toBeNull();
      expect((await fetch(`${adminUrl}/readyz`)).status).toBe(200);
      child.kill('SIGINT');
      // The shutdown's own log lines go nowhere too; it still finishes.
      expect(await exited).toEqual([0, null]);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  }, 90_000);
});
