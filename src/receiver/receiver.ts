/**
 * Runs on: main thread.
 */
import type { HttpBindings } from '@hono/node-server';
import { Hono } from 'hono';
import { cors } from 'hono/cors';
import type { ReceiverConfig } from '../config/schema.js';
import { createTokenChecker } from '../http/bearer-auth.js';
import { type ConnectionLimits, type Listener, listen } from '../http/listen.js';
import type { LogBackend } from '../log/backend.js';
import type { Signal } from '../otlp/signals.js';
import type { Logger } from '../telemetry/logger.js';
import type { Telemetry } from '../telemetry/telemetry.js';
import { ByteBudget } from './byte-budget.js';
import { createIngestPool, type IngestPool } from './ingest-pool.js';
import { createOtlpHandler, type HandlerDeps } from './otlp-handler.js';
import { SharedSlabs } from './shared-slabs.js';
import { ReceiverMetrics } from './receiver-metrics.js';

export interface ReceiverOptions {
  config: ReceiverConfig;
  backend: LogBackend;
  telemetry: Telemetry;
  logger: Logger;
  /** Largest batch handed to the log in one produce; keep it under log.max_record_bytes. */
  maxBatchBytes?: number;
}

export interface Receiver {
  /**
   * Starts the worker pool and listens on `receiver.endpoint`; resolves once bound. The pool's
   * threads load their task module in the background, so start-up does not wait for them.
   */
  start(): Promise<void>;
  /** Resolves once every ingest worker has loaded its task, so no request waits for one to boot. */
  warm(): Promise<void>;
  /**
   * Stops accepting, lets requests in flight finish for `receiver.shutdown_timeout` at most (then
   * closes their connections), then closes the worker pool.
   */
  shutdown(): Promise<void>;
  /** The bound host and port (port 0 in the config picks a free one). */
  address(): { host: string; port: number };
}

const SIGNALS: readonly Signal[] = ['traces', 'metrics', 'logs'];
const DEFAULT_MAX_BATCH_BYTES = 4 * 1024 * 1024;

/** Routes and middleware over the components of one start(), so a restart gets fresh ones. */
function buildApp(config: ReceiverConfig, deps: HandlerDeps): Hono<{ Bindings: HttpBindings }> {
  const app = new Hono<{ Bindings: HttpBindings }>();
  if (config.cors) {
    app.use(
      '*',
      cors({
        origin: config.cors.allowed_origins,
        allowMethods: ['POST', 'OPTIONS'],
        allowHeaders: ['Content-Type', 'Content-Encoding', 'Authorization'],
        maxAge: 600,
      }),
    );
  }
  for (const signal of SIGNALS) {
    app.post(`/v1/${signal}`, createOtlpHandler(deps, signal));
    app.all(`/v1/${signal}`, (c) => c.text('only POST is allowed here', 405, { allow: 'POST' }));
  }
  return app;
}

function connectionLimits(config: ReceiverConfig): ConnectionLimits {
  return {
    headerTimeoutMs: config.header_timeout,
    idleTimeoutMs: config.idle_timeout,
    // OTLP requests get their 503 at request_timeout, counted from the end of their headers; this
    // bounds every other request too, a little later so that the 503 comes first.
    requestTimeoutMs: config.request_timeout > 0 ? config.header_timeout + config.request_timeout + 1000 : 0,
    maxConnections: config.max_connections,
    shutdownTimeoutMs: config.shutdown_timeout,
  };
}

/** The OTLP/HTTP receiver: POST /v1/traces, /v1/metrics, /v1/logs into their topics. */
export function createReceiver(options: ReceiverOptions): Receiver {
  const { config } = options;
  const logger = options.logger.child('receiver');
  let listener: Listener | undefined;
  const metrics = new ReceiverMetrics(options.telemetry, SIGNALS, async () => (listener ? listener.connections() : 0));
  let deps: HandlerDeps | undefined;

  let pool: IngestPool | undefined;
  let warming: Promise<void> | undefined;

  // After the warm-up: closing the pool would fail the warm-up's jobs.
  const closePool = async () => {
    await warming;
    await pool?.close();
    pool = undefined;
  };

  return {
    async start() {
      if (listener) return;
      pool = createIngestPool(config.workers, (err) => logger.error('an ingest worker failed', { error: err }));
      // Requests that come before a thread is warm wait in the pool's queue.
      warming = pool.warmUp().catch((err: unknown) => logger.error('the ingest worker pool failed to start', { error: err }));
      deps = {
        backend: options.backend,
        topics: config.topics,
        pool,
        slabs: new SharedSlabs(),
        metrics,
        budget: new ByteBudget(config.max_inflight_bytes, (used) => metrics.inflightBytes.set(used)),
        logger,
        maxRequestBytes: config.max_request_bytes,
        requestTimeoutMs: config.request_timeout,
        maxBatchBytes: options.maxBatchBytes ?? DEFAULT_MAX_BATCH_BYTES,
        maxWriteAmplification: config.max_write_amplification,
        maxWriteBytes: config.max_inflight_bytes,
        authenticate: createTokenChecker(config.auth),
        closing: false,
      };
      try {
        listener = await listen(buildApp(config, deps), {
          endpoint: config.endpoint,
          tls: config.tls,
          configKey: 'receiver.endpoint',
          limits: connectionLimits(config),
          onRefused: () => metrics.refusedConnections.inc(),
          appContinues: true,
        });
      } catch (err) {
        await closePool();
        throw err;
      }
      logger.info('listening', { ...listener.address(), tls: Boolean(config.tls) });
    },
    async warm() {
      await warming;
    },
    async shutdown() {
      if (deps) deps.closing = true;
      await listener?.close();
      await closePool();
      listener = undefined;
    },
    address() {
      if (!listener) throw new Error('the receiver is not started');
      return listener.address();
    },
  };
}
