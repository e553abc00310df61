import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configSchema } from '../../src/config/schema.js';
import { createGateway, type Gateway } from '../../src/gateway.js';
import { COMPRESSION_MASK } from '../../src/log/compression.js';
import type { EmbeddedBackend } from '../../src/log/embedded/embedded-backend.js';
import { LOG_OVERHEAD, readBatchHeader } from '../../src/log/record-batch.js';
import { createLogger, silentLogger } from '../../src/telemetry/logger.js';
import { Telemetry } from '../../src/telemetry/telemetry.js';

export interface KafkaGateway {
  gateway: Gateway;
  /** host:port of the Kafka listener, as a client's bootstrap servers. */
  bootstrap: string;
  receiverUrl: string;
  adminUrl: string;
  stop(): Promise<void>;
}

/**
 * A whole gateway from the real factory, every port free, the Kafka listener on: the OTLP
 * topics with `partitions` partitions each, one more topic `events_in` for producers, and groups
 * on short timeouts so that rebalances happen within a test; `pipelines` as in the config.
 */
export async function startKafkaGateway(
  options: {
    partitions?: number;
    groups?: Record<string, unknown>;
    kafka?: Record<string, unknown>;
    receiver?: Record<string, unknown>;
    pipelines?: Record<string, unknown>[];
    log?: Record<string, unknown>;
    /** More topics, as in the config's `topics` block. */
    topics?: Record<string, unknown>;
    /** A data directory to use (a restart's); the caller removes it. By default a new one, removed by stop(). */
    dataDir?: string;
  } = {},
): Promise<KafkaGateway> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'tributary-kafka-'));
  const partitions = options.partitions ?? 2;
  const config = configSchema.parse({
    receiver: { endpoint: '127.0.0.1:0', workers: 1, ...options.receiver },
    admin: { endpoint: '127.0.0.1:0' },
    kafka: { listener: '127.0.0.1:0', ...options.kafka },
    log: { data_dir: dataDir, brokers: 1, fsync: 'never', ...options.log },
    groups: { session_timeout: 6_000, heartbeat_interval: 500, rebalance_timeout: 10_000, ...options.groups },
    topics: { ...Object.fromEntries(['otlp_spans', 'otlp_metrics', 'otlp_logs', 'otlp_events', 'events_in'].map((t) => [t, { partitions }])), ...options.topics },
    ...(options.pipelines ? { pipelines: options.pipelines } : {}),
  });
  const logger = process.env.KAFKA_DEBUG ? createLogger('test', { level: 'debug' }) : silentLogger;
  const gateway = createGateway(config, { logger, telemetry: new Telemetry() });
  await gateway.start();
  const kafka = gateway.kafkaAddress()!;
  return {
    gateway,
    bootstrap: `127.0.0.1:${kafka.port}`,
    receiverUrl: `${options.receiver?.tls ? 'https' : 'http'}://127.0.0.1:${gateway.receiverAddress().port}`,
    adminUrl: `http://127.0.0.1:${gateway.adminAddress().port}`,
    async stop() {
      await gateway.shutdown();
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A metric's value (without labels) on the gateway's /metrics; 0 when it is not there. */
export async function metric(g: KafkaGateway, name: string): Promise<number> {
  const text = await (await fetch(`${g.adminUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.split(' ')[1]) : 0;
}

/** The compression codec of every batch stored in a partition, as the log holds it. */
export async function storedCodecs(g: KafkaGateway, topic: string, partition: number): Promise<number[]> {
  const { batches } = await (g.gateway.backend as EmbeddedBackend).fetchBatches({ topic, partition, offset: 0, maxBytes: 64 * 1024 * 1024 });
  const codecs: number[] = [];
  for (let pos = 0; pos + LOG_OVERHEAD <= batches.length; ) {
    const h = readBatchHeader(batches, pos)!;
    codecs.push(h.attributes & COMPRESSION_MASK);
    pos += LOG_OVERHEAD + h.batchLength;
  }
  return codecs;
}

/**
 * Whether a client the tests run is installed. A missing one skips its tests with the reason
 * printed, except under CI=true, where it fails them: CI must run every client.
 */
export function clientAvailable(command: string, args: string[], what: string): boolean {
  const ok = spawnSync(command, args, { stdio: 'ignore' }).status === 0;
  if (ok) return true;
  if (process.env.CI === 'true') throw new Error(`${what} is required under CI=true but \`${command} ${args.join(' ')}\` failed; install it (see .ci/run)`);
  console.warn(`skipping: ${what} is not installed (\`${command} ${args.join(' ')}\` failed)`);
  return false;
}

export interface RunResult {
  code: number;
  stdout: Buffer;
  stderr: string;
}

/** Runs a client to its end, with `input` on its stdin. */
export function run(command: string, args: string[], options: { input?: Buffer | string; timeoutMs?: number; env?: Record<string, string> } = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = execFile(
      command,
      args,
      { encoding: 'buffer', maxBuffer: 256 * 1024 * 1024, timeout: options.timeoutMs ?? 60_000, env: { ...process.env, ...options.env } },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr: stderr.toString() });
      },
    );
    child.stdin?.end(options.input ?? '');
  });
}

/** The Debian Python, where python3-kafka and python3-confluent-kafka are installed. */
export const PYTHON = '/usr/bin/python3';

/**
 * Counts the calls of `target[method]` (the real method runs) until `restore()`: what a request
 * costs the log, where answering each name of a repeated list once is the point of a test.
 */
export function countCalls<T extends object>(target: T, method: keyof T & string): { count(): number; restore(): void } {
  const real = target[method] as (...args: unknown[]) => unknown;
  const own = Object.getOwnPropertyDescriptor(target, method);
  let calls = 0;
  Object.defineProperty(target, method, {
    configurable: true,
    value: (...args: unknown[]) => {
      calls++;
      return real.apply(target, args);
    },
  });
  return {
    count: () => calls,
    restore: () => (own ? Object.defineProperty(target, method, own) : Reflect.deleteProperty(target, method)),
  };
}
