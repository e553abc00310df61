// Runs on: main thread.
import type { TributaryConfig } from '../config/schema.js';
import type { Logger } from '../telemetry/logger.js';
import type { Telemetry } from '../telemetry/telemetry.js';
import type { LogBackend } from './backend.js';
import { createEmbeddedBackend } from './embedded/embedded-backend.js';
import { createKafkaBackend } from './kafka/kafka-backend.js';

export interface LogBackendDeps {
  telemetry?: Telemetry;
  logger?: Logger;
}

/** The log backend the config asks for (`log.backend`), not started yet. */
export function createLogBackend(config: TributaryConfig, deps: LogBackendDeps = {}): LogBackend {
  switch (config.log.backend) {
    case 'embedded':
      return createEmbeddedBackend({ log: config.log, topics: config.topics, groups: config.groups, telemetry: deps.telemetry, logger: deps.logger });
    case 'kafka':
      return createKafkaBackend({
        log: config.log,
        topics: config.topics,
        groupDefaults: {
          sessionTimeoutMs: config.groups.session_timeout,
          heartbeatIntervalMs: config.groups.heartbeat_interval,
          rebalanceTimeoutMs: config.groups.rebalance_timeout,
          assignor: config.groups.assignor,
        },
        telemetry: deps.telemetry,
        logger: deps.logger,
      });
  }
}
