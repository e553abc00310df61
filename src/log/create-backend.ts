import type { TributaryConfig } from '../config/schema.js';
import { ConfigError } from '../errors.js';
import type { Logger } from '../telemetry/logger.js';
import type { Telemetry } from '../telemetry/telemetry.js';
import type { LogBackend } from './backend.js';
import { createEmbeddedBackend } from './embedded/embedded-backend.js';

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
      throw new ConfigError('log.backend: "kafka" is not available yet; use "embedded"');
  }
}
