// Runs on: main thread.
import type { LogConfig } from '../../config/schema.js';

/** libuv's default: the pool has 4 threads unless UV_THREADPOOL_SIZE was set before start. */
const DEFAULT_POOL_SIZE = 4;

/**
 * A warning when libuv's thread pool is too small for the brokers' background syncs (fsync:
 * interval): each broker may hold one pool thread with an fdatasync for seconds, and the main
 * thread needs one left for its own file work. Undefined when the pool is large enough.
 */
export function threadPoolWarning(log: Pick<LogConfig, 'brokers' | 'fsync'>, poolSizeEnv: string | undefined): string | undefined {
  const poolSize = Number(poolSizeEnv) || DEFAULT_POOL_SIZE;
  if (log.fsync !== 'interval' || poolSize > log.brokers) return undefined;
  return `libuv's thread pool has ${poolSize} threads for ${log.brokers} brokers' background syncs and the main thread: start with UV_THREADPOOL_SIZE=${log.brokers + 1} or more`;
}
