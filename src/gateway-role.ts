/**
 * Runs on: main thread. What one gateway process runs: `ingest` the OTLP receiver only, `sinks`
 * the pipelines only, `all` both. Split roles need a log shared between processes
 * (log.backend: kafka). Apart from gateway.ts so that the CLI checks --role before loading it.
 */
import { ConfigError } from './errors.js';

export type GatewayRole = 'ingest' | 'sinks' | 'all';
export const GATEWAY_ROLES: readonly GatewayRole[] = ['ingest', 'sinks', 'all'];

/** Split roles need a log the processes share: refused with the embedded engine. */
export function checkRole(role: GatewayRole, backend: 'embedded' | 'kafka'): void {
  if (role !== 'all' && backend !== 'kafka') {
    throw new ConfigError(`role "${role}" needs log.backend: kafka (processes in different roles share the log through Kafka)`);
  }
}
