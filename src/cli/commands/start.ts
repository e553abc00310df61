import { loadConfig } from '../../config/load.js';
import { prespawnWorkerThreads } from '../../log/embedded/spawn-worker.js';
import { createLogger } from '../../telemetry/logger.js';
import { parse } from '../args.js';
import type { Command } from '../command.js';
import { EXIT } from '../cli-error.js';

const usage = `Usage: tributary start [--config FILE]

Starts the gateway: the OTLP/HTTP receiver, the log, the sink pipelines and the admin API.
Runs until SIGINT or SIGTERM, then shuts down cleanly (requests in flight reach the log, sinks
commit, segments are flushed and closed). A second signal exits at once.

Options:
  --config FILE   configuration file (default: config/tributary.yaml; docs/configuration.md)`;

const options = {
  config: { type: 'string' },
} as const;

export const startCommand: Command = {
  usage,
  async run(argv) {
    const { values } = parse(argv, options, usage);
    const config = loadConfig(values.config);
    const configLoaded = Math.round(performance.now());
    // The broker threads boot and load their modules while this thread loads the rest of the gateway.
    if (config.log.backend === 'embedded') prespawnWorkerThreads('broker', config.log.brokers);
    const { createGateway } = await import('../../gateway.js');
    const gatewayLoaded = Math.round(performance.now());
    const logger = createLogger('tributary');
    const gateway = createGateway(config, { logger });

    let signalled: Promise<NodeJS.Signals> | undefined;
    const stop = new Promise<NodeJS.Signals>((resolve) => {
      const onSignal = (signal: NodeJS.Signals) => {
        if (signalled) {
          logger.warn(`second ${signal}: exiting without a clean shutdown`);
          process.exit(EXIT.interrupted);
        }
        signalled = Promise.resolve(signal);
        resolve(signal);
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
    });

    try {
      await gateway.start();
    } catch (err) {
      await gateway.shutdown().catch(() => undefined);
      throw err;
    }
    const r = gateway.receiverAddress();
    const a = gateway.adminAddress();
    logger.info(`ready: OTLP/HTTP on http://${r.host}:${r.port}, admin on http://${a.host}:${a.port}`, {
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
