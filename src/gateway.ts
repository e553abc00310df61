// Runs on: main thread.
import { ADMIN_MAX_CONNECTIONS, createAdminServer } from './admin/server.js';
import { groupRoutes } from './admin/routes/groups.js';
import { pipelineRoutes } from './admin/routes/pipelines.js';
import type { TributaryConfig } from './config/schema.js';
import { ConfigError } from './errors.js';
import { checkRole, type GatewayRole } from './gateway-role.js';
import { createKafkaListener, type KafkaListener } from './kafka/listener.js';
import type { LogBackend } from './log/backend.js';
import { createLogBackend } from './log/create-backend.js';
import { connectionLimitsWithin } from './fd-budget.js';
import { EmbeddedBackend } from './log/embedded/embedded-backend.js';
import { createReceiver } from './receiver/receiver.js';
import { shutdownInOrder } from './shutdown-in-order.js';
import { createPipelines } from './sinks/runtime/pipelines.js';
import { Subscriptions } from './subscriptions/subscriptions.js';
import { createLogger, type Logger } from './telemetry/logger.js';
import { Telemetry } from './telemetry/telemetry.js';
import { guardedTopicDeletion } from './topic-guard.js';

/** A log backend whose start() was called already, and that call's promise. */
export interface StartingLog {
  backend: LogBackend;
  started: Promise<void>;
}

export interface GatewayDeps {
  /** Default `all`. */
  role?: GatewayRole;
  logger?: Logger;
  telemetry?: Telemetry;
  /** The log when the caller started it already (`tributary start` opens it while the rest loads). */
  log?: StartingLog;
}

export interface Gateway {
  readonly backend: LogBackend;
  readonly telemetry: Telemetry;
  start(): Promise<void>;
  /** Stops taking requests, drains them into the log, lets sinks finish and commit, closes the log. */
  shutdown(): Promise<void>;
  /** Throws when the process runs no receiver (role `sinks`). */
  receiverAddress(): { host: string; port: number };
  /** Resolves once the receiver's ingest workers have loaded, so no request pays for their start; at once without a receiver. */
  warmedUp(): Promise<void>;
  readonly role: GatewayRole;
  adminAddress(): { host: string; port: number };
  /** The Kafka listener's bound address; undefined when `kafka.listener` is "" or the log is Apache Kafka. */
  kafkaAddress(): { host: string; port: number } | undefined;
  /** When each start-up step ended, in ms since the process started (performance.now()). */
  startupMs(): Record<string, number>;
}

type Phase = 'created' | 'starting' | 'running' | 'stopping' | 'stopped';

/**
 * The whole gateway of one process: log backend, sink pipelines, OTLP receiver and admin API.
 * Everything is built (and every config checked) before anything starts, except a log the caller
 * started already (deps.log).
 */
export function createGateway(config: TributaryConfig, deps: GatewayDeps = {}): Gateway {
  const logger = deps.logger ?? createLogger();
  const telemetry = deps.telemetry ?? new Telemetry({ defaultMetrics: true });
  const role = deps.role ?? 'all';
  checkRole(role, config.log.backend);
  const backend = deps.log?.backend ?? createLogBackend(config, { telemetry, logger });
  const pipelines = createPipelines({ pipelines: role === 'ingest' ? [] : config.pipelines, workers: config.sinks.workers, backend, telemetry, logger });
  const subscriptions = new Subscriptions({ config, pipelines: role === 'ingest' ? undefined : pipelines, backend, logger });
  const deleteTopic = guardedTopicDeletion({ config, backend, whilePipelinesUnchanged: (use) => subscriptions.whileUnchanged(use) });
  // The Kafka protocol is served over the embedded log only; over Apache Kafka, clients go to Kafka.
  const kafkaLog = config.kafka.listener && backend instanceof EmbeddedBackend ? backend : undefined;
  const connections = connectionLimitsWithin({
    ...(role === 'sinks' ? {} : { 'receiver.max_connections': config.receiver.max_connections }),
    ...(kafkaLog ? { 'kafka.max_connections': config.kafka.max_connections } : {}),
    'the admin API': ADMIN_MAX_CONNECTIONS,
  });
  if (connections.explained) logger.warn(connections.explained);
  const receiver =
    role === 'sinks'
      ? undefined
      : createReceiver({ config: { ...config.receiver, max_connections: connections.limits['receiver.max_connections'] }, backend, telemetry, logger, maxBatchBytes: config.log.max_record_bytes });
  const kafka: KafkaListener | undefined = kafkaLog
    ? createKafkaListener({
        config: { ...config.kafka, max_connections: connections.limits['kafka.max_connections'] },
        tls: config.receiver.tls,
        log: kafkaLog,
        deleteTopic,
        dataDir: config.log.data_dir,
        telemetry,
        logger,
      })
    : undefined;

  let phase: Phase = 'created';
  const startupMs: Record<string, number> = {};
  const mark = (step: string) => {
    startupMs[step] = Math.round(performance.now());
  };
  const admin = createAdminServer({
    config: config.admin,
    backend,
    telemetry,
    logger: logger.child('admin'),
    readiness: () => {
      const connection = backend.connection?.();
      const details = { role, ...(connection ? { log: connection } : {}) };
      if (phase !== 'running') return { ready: false, reason: phase, details };
      if (connection && !connection.connected) return { ready: false, reason: `the log's cluster does not answer: ${connection.error}`, details };
      return { ready: true, details };
    },
    routes: { groups: groupRoutes(backend), pipelines: pipelineRoutes(subscriptions) },
    deleteTopic,
    maxConnections: connections.limits['the admin API'],
  });

  return {
    backend,
    telemetry,
    async start() {
      phase = 'starting';
      // The admin API comes first so that /healthz answers (and /readyz says why not) during recovery.
      await admin.start();
      mark('adminListening');
      await (deps.log?.started ?? backend.start());
      mark('logOpen');
      await pipelines.start();
      await subscriptions.start();
      mark('pipelinesStarted');
      await receiver?.start();
      mark('receiverListening');
      await kafka?.start();
      mark('kafkaListening');
      phase = 'running';
    },
    async shutdown() {
      if (phase === 'stopped' || phase === 'stopping') return;
      const wasRunning = phase === 'running';
      phase = 'stopping';
      try {
        // /readyz answers 503 from now on; a load balancer that probes it needs a while to see that
        // and stop sending, and until then new connections must still be served, not refused.
        const delay = config.receiver.shutdown_delay;
        if (wasRunning && delay > 0 && (receiver || kafka)) {
          logger.info(`not ready: the listeners stop accepting in ${delay} ms (receiver.shutdown_delay)`);
          await new Promise((resolve) => setTimeout(resolve, delay));
        }
        // Each part stops even when one before it fails; the log's own shutdown releases the data directory.
        await shutdownInOrder([
          ['the Kafka listener', async () => kafka?.shutdown()],
          ['the receiver', async () => receiver?.shutdown()],
          ['the pipelines', () => pipelines.shutdown()],
          ['the log', () => backend.shutdown()],
          ['the admin API', () => admin.shutdown()],
        ]);
      } finally {
        phase = 'stopped';
      }
    },
    role,
    receiverAddress: () => {
      if (!receiver) throw new ConfigError('this process runs no OTLP receiver (role "sinks")');
      return receiver.address();
    },
    warmedUp: async () => receiver?.warm(),
    adminAddress: () => admin.address(),
    kafkaAddress: () => kafka?.address(),
    startupMs: () => ({ ...startupMs }),
  };
}
