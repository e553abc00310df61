import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeSpans } from '../otlp/fixtures.js';
import { capability } from '../capability.js';
import { eventually, type GatewayProcess, startGatewayProcess, tributary } from './cli-process.js';
import { exportSpans, storedKeys, traceIdsOf } from './spans.js';

/** Runs a command as PID 1 of a new PID namespace, with its own /proc: as a container runs its entry point. */
const PID_NAMESPACE = ['unshare', '--pid', '--fork', '--mount-proc'];
const canUnshare = process.platform === 'linux' && capability('a PID namespace (unshare --pid, as root)', [...PID_NAMESPACE, 'true']);

/** The process's id inside its own PID namespace. */
function pidInNamespace(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').match(/^NSpid:\s+(.+)$/m);
  if (!line) throw new Error(`no NSpid for ${pid}`);
  return Number(line[1].trim().split(/\s+/).at(-1));
}

function processState(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '')[0];
  } catch {
    return undefined;
  }
}

const running: GatewayProcess[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const g of running.splice(0)) {
    try {
      process.kill(g.spawnedPid, 'SIGKILL');
      process.kill(g.pid, 'SIGKILL');
    } catch {}
  }
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Each test starts two gateway processes one after the other: on a loaded CI machine that alone can take half a minute. */
const TWO_GATEWAYS_MS = 90_000;

async function start(dataDir: string, wrapper?: string[]): Promise<GatewayProcess> {
  const gateway = await startGatewayProcess({ dataDir, wrapper });
  running.push(gateway);
  return gateway;
}

function dataDirectory(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-restart-'));
  dirs.push(dir);
  return dir;
}

describe.runIf(canUnshare)('a gateway running as PID 1 of its PID namespace, as in its container', () => {
  it('killed with SIGKILL, starts again at once (PID 1 again) with every span it acknowledged', async () => {
    const dataDir = dataDirectory();
    const first = await start(dataDir, PID_NAMESPACE);
    expect(pidInNamespace(first.pid)).toBe(1);
    const spans = makeSpans({ traces: 12, spansPerTrace: 3 });
    expect((await exportSpans(first.receiverUrl, spans)).code).toBe(0);

    process.kill(first.pid, 'SIGKILL');
    await first.exited;
    const second = await start(dataDir, PID_NAMESPACE);
    expect(pidInNamespace(second.pid)).toBe(1);
    expect(await storedKeys(second.adminUrl)).toEqual(traceIdsOf(spans));
    expect(await second.stop()).toBe(0);
  }, TWO_GATEWAYS_MS);

  it('refuses a second gateway on the same data directory from another PID namespace, naming the owner', async () => {
    const dataDir = dataDirectory();
    const owner = await start(dataDir, PID_NAMESPACE);
    const second = await tributary(['start'], { TRIBUTARY_DATA_DIR: dataDir, TRIBUTARY_RECEIVER_ENDPOINT: '127.0.0.1:0', TRIBUTARY_ADMIN_ENDPOINT: '127.0.0.1:0' }, PID_NAMESPACE);
    expect(second.code).toBe(2);
    expect(second.stderr).toMatch(/log\.data_dir .* is in use by process 1 on \S+ \(running since .*\); stop it, or give this gateway another log\.data_dir/);
    // The owner serves on.
    expect((await fetch(`${owner.adminUrl}/readyz`)).status).toBe(200);
    expect(await owner.stop()).toBe(0);
  }, TWO_GATEWAYS_MS);
});

describe('a gateway whose lock holder is gone', () => {
  it('starts while the killed holder is still a zombie (its parent has not reaped it)', async () => {
    const dataDir = dataDirectory();
    // sh starts the gateway in the background, then becomes `sleep`, which never reaps it.
    const first = await start(dataDir, ['sh', '-c', '"$@" & exec sleep 600', 'sh']);
    const spans = makeSpans({ traces: 5, spansPerTrace: 2 });
    expect((await exportSpans(first.receiverUrl, spans)).code).toBe(0);
    process.kill(first.pid, 'SIGKILL');
    await eventually('the killed gateway to be a zombie', async () => processState(first.pid) === 'Z');

    const second = await start(dataDir);
    expect(processState(first.pid)).toBe('Z');
    expect(await storedKeys(second.adminUrl)).toEqual(traceIdsOf(spans));
    expect(await second.stop()).toBe(0);
  }, TWO_GATEWAYS_MS);
});
