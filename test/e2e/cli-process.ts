import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePorts } from '../../bench/lib/gateway-process.js';
import { packageRoot } from '../../src/paths.js';

const BIN = join(packageRoot, 'src', 'cli', 'bin.ts');
const NODE_ARGS = ['--import', 'tsx', BIN];

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** The command line that runs `tributary` with these arguments, as the tests run it. */
export function tributaryCommand(args: string[], wrapper: string[] = []): string[] {
  return [...wrapper, process.execPath, ...NODE_ARGS, ...args];
}

/** Runs `tributary ARGS` as a user would, from the sources (under `wrapper`, if given), and collects its output. */

export function tributary(args: string[], env: Record<string, string> = {}, wrapper: string[] = []): Promise<CliResult> {
  const command = tributaryCommand(args, wrapper);
  return new Promise((resolve) => {
    execFile(command[0], command.slice(1), { env: { ...process.env, ...env }, timeout: 60_000 }, (err, stdout, stderr) => {
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
  /** The gateway's process id (as this process sees it), also when a `wrapper` runs it. */
  pid: number;
  /** The process spawned: the wrapper when there is one, else the gateway. */
  spawnedPid: number;
  /** The spawned process's exit code (128 when a signal ended it). */
  exited: Promise<number>;
  /** What the gateway printed so far. */
  output(): string;
  /** SIGINT to the gateway, then the exit code. */
  stop(): Promise<number>;
  /** Ends the process with SIGKILL, as a crash would (no shutdown), once it has exited. */
  kill(): Promise<void>;
}

export interface GatewayProcessOptions {
  config?: string;
  env?: Record<string, string>;
  /** A data directory the caller owns (kept by stop()); a fresh temporary one otherwise. */
  dataDir?: string;
  /**
   * A command that runs the gateway's command line as its last arguments and ends up running it
   * as its only child, or itself by exec: e.g. `unshare --pid --fork --mount-proc`.
   */
  wrapper?: string[];
  /** More arguments for `tributary start` (e.g. `--role ingest`). */
  args?: string[];
  /** Ports to listen on, as a gateway started again keeps them (free ones otherwise). */
  ports?: { receiver: number; admin: number };
}

/**
 * `tributary start` in a child process on free ports and an empty data directory, with the
 * default config (or `config`), resolved once /readyz answers 200.
 */
export async function startGatewayProcess(options: GatewayProcessOptions = {}): Promise<GatewayProcess> {
  const ownsDataDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'tributary-e2e-'));
  const [receiver, admin, kafka] = await freePorts(3);
  const [receiverPort, adminPort, kafkaPort] = [options.ports?.receiver ?? receiver, options.ports?.admin ?? admin, kafka];
  const env = {
    ...process.env,
    TRIBUTARY_DATA_DIR: dataDir,
    TRIBUTARY_RECEIVER_ENDPOINT: `127.0.0.1:${receiverPort}`,
    TRIBUTARY_ADMIN_ENDPOINT: `127.0.0.1:${adminPort}`,
    TRIBUTARY_KAFKA_LISTENER: `127.0.0.1:${kafkaPort}`,
    TRIBUTARY_LOG_LEVEL: 'info',
    ...options.env,
  };
  const args = ['start', ...(options.config ? ['--config', options.config] : []), ...(options.args ?? [])];
  const command = tributaryCommand(args, options.wrapper);
  const child: ChildProcess = spawn(command[0], command.slice(1), { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (c: Buffer) => {
    output += c.toString();
  });
  child.stderr?.on('data', (c: Buffer) => {
    output += c.toString();
  });
  const exited = new Promise<number>((resolve) => child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1))));
  const pid = options.wrapper ? await gatewayUnder(child, () => output) : child.pid!;
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
    pid,
    spawnedPid: child.pid!,
    exited,
    output: () => output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) process.kill(pid, 'SIGINT');
      const code = await exited;
      if (ownsDataDir) rmSync(dataDir, { recursive: true, force: true });
      return code;
    },
    async kill() {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/** The process a wrapper runs the gateway as: the wrapper itself once it has exec'ed node, or its child. */
async function gatewayUnder(wrapper: ChildProcess, output: () => string): Promise<number> {
  const wrapperPid = wrapper.pid!;
  const isNode = (pid: number) => {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return argv[0] === process.execPath && argv.includes(BIN);
  };
  for (;;) {
    if (wrapper.exitCode !== null || wrapper.signalCode !== null) throw new Error(`the wrapper exited before the gateway started:\n${output()}`);
    try {
      if (isNode(wrapperPid)) return wrapperPid;
      const children = readFileSync(`/proc/${wrapperPid}/task/${wrapperPid}/children`, 'utf8').trim().split(' ').filter(Boolean).map(Number);
      const gateway = children.find(isNode);
      if (gateway !== undefined) return gateway;
    } catch {
      // The process is changing (exec, fork); look again.
    }
    await new Promise((r) => setTimeout(r, 20));
  }
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
