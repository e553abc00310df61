import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../bench/lib/gateway-process.js';
import { packageRoot } from '../../src/paths.js';

const BIN = join(packageRoot, 'src', 'cli', 'bin.ts');
const NODE_ARGS = ['--import', 'tsx', BIN];

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `tributary ARGS` as a user would, from the sources, and collects its output. */
export function tributary(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [...NODE_ARGS, ...args], { env: { ...process.env, ...env }, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

export interface GatewayProcess {
  receiverUrl: string;
  adminUrl: string;
  /** host:port of the Kafka listener. */
  kafkaListener: string;
  dataDir: string;
  /** What the gateway printed so far. */
  output(): string;
  /** SIGINT, then the exit code. */
  stop(): Promise<number>;
}

/**
 * `tributary start` in a child process on free ports and an empty data directory, with the
 * default config (or `config`), resolved once /readyz answers 200.
 */
export async function startGatewayProcess(options: { config?: string; env?: Record<string, string> } = {}): Promise<GatewayProcess> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tributary-e2e-'));
  const [receiverPort, adminPort, kafkaPort] = [await freePort(), await freePort(), await freePort()];
  const env = {
    ...process.env,
    TRIBUTARY_DATA_DIR: dataDir,
    TRIBUTARY_RECEIVER_ENDPOINT: `127.0.0.1:${receiverPort}`,
    TRIBUTARY_ADMIN_ENDPOINT: `127.0.0.1:${adminPort}`,
    TRIBUTARY_KAFKA_LISTENER: `127.0.0.1:${kafkaPort}`,
    TRIBUTARY_LOG_LEVEL: 'info',
    ...options.env,
  };
  const args = ['start', ...(options.config ? ['--config', options.config] : [])];
  const child: ChildProcess = spawn(process.execPath, [...NODE_ARGS, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (c: Buffer) => {
    output += c.toString();
  });
  child.stderr?.on('data', (c: Buffer) => {
    output += c.toString();
  });
  const exited = new Promise<number>((resolve) => child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1))));
  const adminUrl = `http://127.0.0.1:${adminPort}`;
  const deadline = Date.now() + 45_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`tributary start exited with ${child.exitCode}:\n${output}`);
    const ready = await fetch(`${adminUrl}/readyz`).then((r) => r.ok, () => false);
    if (ready) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`tributary start not ready in time:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    receiverUrl: `http://127.0.0.1:${receiverPort}`,
    adminUrl,
    kafkaListener: `127.0.0.1:${kafkaPort}`,
    dataDir,
    output: () => output,
    async stop() {
      child.kill('SIGINT');
      const code = await exited;
      rmSync(dataDir, { recursive: true, force: true });
      return code;
    },
  };
}

/** Polls `check` until it returns something truthy. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
