// Runs on: main thread of a benchmark process.
import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { Agent, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { packageRoot, runningFromSource } from '../../src/paths.js';

export async function freePort(): Promise<number> {
  const [port] = await freePorts(1);
  return port;
}

/**
 * `count` distinct free ports, each held open until all are found: a port closed and asked for
 * again can come back from the kernel at once, so two calls of freePort() may return the same one.
 */
export async function freePorts(count: number): Promise<number[]> {
  const servers = Array.from({ length: count }, () => createServer());
  await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))));
  const ports = servers.map((server) => (server.address() as AddressInfo).port);
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

export interface GatewayProcess {
  child: ChildProcess;
  receiverPort: number;
  adminPort: number;
  /** Port of the Kafka listener. */
  kafkaPort: number;
  /** Milliseconds from spawning the process to /readyz answering 200. */
  readyMs: number;
  /** What the gateway wrote on stderr (its log). */
  stderr(): string;
  /** SIGINT and wait for the clean shutdown. */
  stop(): Promise<void>;
}

export interface GatewayProcessOptions {
  env?: Record<string, string>;
  /** Receiver settings beside its endpoint, e.g. { max_inflight_bytes: 67108864 }. */
  receiver?: Record<string, string | number>;
}

/**
 * `tributary start` in a child process (from dist/ when built, from sources under tsx) with a
 * config written to `dir/tributary.yaml` from `configBody` (everything but the receiver and admin
 * blocks, whose endpoints get free ports). Resolves once /readyz answers 200.
 */
export async function startGatewayProcess(dir: string, configBody: string, options: GatewayProcessOptions = {}): Promise<GatewayProcess> {
  const [receiverPort, adminPort, kafkaPort] = await freePorts(3);
  const config = join(dir, 'tributary.yaml');
  const receiver = Object.entries({ endpoint: `127.0.0.1:${receiverPort}`, ...options.receiver }).map(([k, v]) => `${k}: ${v}`);
  writeFileSync(config, `receiver: { ${receiver.join(', ')} }\nadmin: { endpoint: 127.0.0.1:${adminPort} }\nkafka: { listener: 127.0.0.1:${kafkaPort} }\n${configBody}`);
  const bin = runningFromSource ? join(packageRoot, 'src', 'cli', 'bin.ts') : join(packageRoot, 'dist', 'src', 'cli', 'bin.js');
  const started = performance.now();
  const child = spawn(process.execPath, [...(runningFromSource ? ['--import', 'tsx'] : []), bin, 'start', '--config', config], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, ...options.env },
  });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  while (!(await fetch(`http://127.0.0.1:${adminPort}/readyz`).then((r) => r.ok, () => false))) {
    if (child.exitCode !== null) throw new Error(`tributary start exited:\n${stderr}`);
    await new Promise((r) => setTimeout(r, 5));
  }
  return {
    child,
    receiverPort,
    adminPort,
    kafkaPort,
    readyMs: performance.now() - started,
    stderr: () => stderr,
    async stop() {
      child.kill('SIGINT');
      await exited;
    },
  };
}

const agent = new Agent({ keepAlive: true, maxSockets: 1024 });

/** POSTs an OTLP/protobuf body to `/v1/<signal>`; resolves to the status code (0 on a socket error). */
export function postOtlp(port: number, signal: 'traces' | 'metrics' | 'logs', body: Uint8Array): Promise<number> {
  return new Promise((resolve) => {
    const req = request(
      { host: '127.0.0.1', port, path: `/v1/${signal}`, method: 'POST', agent, headers: { 'content-type': 'application/x-protobuf', 'content-length': body.length } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', () => resolve(0));
    req.end(body);
  });
}

export function closeClients(): void {
  agent.destroy();
}
