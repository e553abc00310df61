// Runs on: main thread of the `tributary` command.
import { loadConfig } from '../../config/load.js';
import type { TributaryConfig } from '../../config/schema.js';
import type { Gateway, StartingLog } from '../../gateway.js';
import { checkRole, GATEWAY_ROLES, type GatewayRole } from '../../gateway-role.js';
import { prespawnWorkerThreads } from '../../spawn-worker.js';
import { defaultSinkWorkers } from '../../sinks/runtime/placement.js';
import type { Telemetry } from '../../telemetry/telemetry.js';
import { checkLogEnvironment, createLogger, type Logger } from '../../telemetry/logger.js';
import { parse, usageError } from '../args.js';
import type { Command } from '../command.js';
import { EXIT } from '../cli-error.js';

const usage = `Usage: tributary start [--config FILE] [--role ingest|sinks|all]

Starts the gateway: the OTLP/HTTP receiver, the log, the sink pipelines and the admin API.
With log.backend: kafka, a process can take one role: \`ingest\` runs the receiver only,
\`sinks\` the pipelines only (members of Kafka consumer groups), \`all\` (default) both.
Runs until SIGINT, SIGTERM or SIGHUP, then shuts down cleanly (/readyz answers 503, the listeners close
after receiver.shutdown_delay, requests in flight reach the log, sinks commit, segments are
flushed and closed). A second signal, a second or more after the first, exits at once (exit code 130).

Options:
  --config FILE   configuration file (default: config/tributary.yaml; docs/configuration.md)
  --role ROLE     ingest, sinks or all (default all; split roles need log.backend: kafka)`;

/** A signal this soon after the first is a copy of it (see onSignal), not a second request. */
const REPEATED_SIGNAL_MS = 1_000;

const options = {
  config: { type: 'string' },
  role: { type: 'string' },
} as const;

/**
 * Creates the log and starts it without waiting, before the rest of the gateway is loaded: the
 * broker threads boot and recover the partitions (and the sink worker threads boot) while this
 * thread imports the receiver, the admin API and the sinks.
 */
async function startLog(config: TributaryConfig, role: GatewayRole, logger: Logger): Promise<StartingLog & { telemetry: Telemetry }> {
  if (config.log.backend === 'embedded') prespawnWorkerThreads('broker', config.log.brokers);
  // At least this many sink workers start (one per pipeline, up to sinks.workers): they boot now
  // too. An ingest process runs no pipelines (the config is the one its sinks processes share):
  // threads started for them would idle, unused, for the life of the process.
  if (role !== 'ingest') prespawnWorkerThreads('sink', Math.min(config.sinks.workers ?? defaultSinkWorkers(), config.pipelines.length));
  const [{ createLogBackend }, { Telemetry }] = await Promise.all([import('../../log/create-backend.js'), import('../../telemetry/telemetry.js')]);
  const telemetry = new Telemetry({ defaultMetrics: true });
  const backend = createLogBackend(config, { telemetry, logger });
  const started = backend.start();
  // The gateway's start() awaits it; until then a failure must not count as unhandled.
  started.catch(() => undefined);
  return { backend, started, telemetry };
}

/** The first stop signal (SIGINT, SIGTERM or SIGHUP); a second one later exits at once. */
function stopSignal(logger: Logger): Promise<NodeJS.Signals> {
  let signalledAt: number | undefined;
  return new Promise<NodeJS.Signals>((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      if (signalledAt !== undefined) {
        // The same request twice, not an impatient operator: `timeout` and supervisors signal the
        // process and then its process group, so a copy can follow within milliseconds.
        if (performance.now() - signalledAt < REPEATED_SIGNAL_MS) return;
        logger.warn(`second ${signal}: exiting without a clean shutdown`);
        process.exit(EXIT.interrupted);
      }
      signalledAt = performance.now();
      resolve(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    // The terminal it was started from closed (an SSH session dropped): stop cleanly, not die.
    process.on('SIGHUP', onSignal);
  });
}

export const startCommand: Command = {
  usage,
  async run(argv) {
    const { values } = parse(argv, options, usage, 0);
    const role = (values.role ?? 'all') as GatewayRole;
    if (!GATEWAY_ROLES.includes(role)) throw usageError(`--role expects ingest, sinks or all, got "${values.role}"`, usage);
    checkLogEnvironment();
    const logger = createLogger('tributary');
    // Taken from the first moment: a stop asked for while the log opens waits for a clean start.
    const stop = stopSignal(logger);
    const config = loadConfig(values.config);
    checkRole(role, config.log.backend);
    const configLoaded = Math.round(performance.now());
    const log = await startLog(config, role, logger);
    let gateway: Gateway;
    let gatewayLoaded: number;
    try {
      const { createGateway } = await import('../../gateway.js');
      gatewayLoaded = Math.round(performance.now());
      gateway = createGateway(config, { role, logger, telemetry: log.telemetry, log });
    } catch (err) {
      // The log's threads would keep the process alive after the error is printed.
      await log.backend.shutdown().catch(() => undefined);
      throw err;
    }

    try {
      await gateway.start();
    } catch (err) {
      await gateway.shutdown().catch(() => undefined);
      throw err;
    }
    const a = gateway.adminAddress();
    const otlp = role === 'sinks' ? 'no OTLP receiver (role sinks)' : `OTLP/HTTP on http://${gateway.receiverAddress().host}:${gateway.receiverAddress().port}`;
    logger.info(`ready: ${otlp}, admin on http://${a.host}:${a.port}`, {
      role,
      dataDir: config.log.data_dir,
      startupMs: { configLoaded, gatewayLoaded, ...gateway.startupMs() },
    });

    const signal = await stop;
    logger.info(`${signal}: shutting down`);
    await gateway.shutdown();
    logger.info('stopped cleanly');
    return EXIT.ok;
  },
};
