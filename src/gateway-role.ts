/**
 * Runs on: main thread. What one gateway process runs: `ingest` the OTLP receiver only, `sinks`
 * the pipelines only, `all` both. Split roles need a log shared between processes
 * (log.backend: kafka). Apart from gateway.ts so that the CLI checks --role before loading it.
 */
export type GatewayRole = 'ingest' | 'sinks' | 'all';
export const GATEWAY_ROLES: readonly GatewayRole[] = ['ingest', 'sinks', 'all'];
