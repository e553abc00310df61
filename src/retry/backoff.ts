/**
 * Runs on: any thread (sink workers' deliveries, the main thread's broker and sink-worker restarts,
 * the Kafka backend's admin retries): the one retry/backoff policy of the gateway.
 */
import { MAX_TIMER_MS } from '../max-timer.js';

/** The pipeline's `retry` block, in milliseconds. */
export interface RetryPolicy {
  initial_interval: number;
  max_interval: number;
  /** After this long without success the batch is given up on (dead-lettered); 0 retries forever. */
  max_elapsed_time: number;
}

/** Jitter spreads each delay over ±50 %, so members that failed together do not retry together. */
const RANDOMIZATION = 0.5;

/**
 * The wait before retry number `attempt` (0 for the first retry): exponential from the initial
 * interval, capped by the max interval, with jitter; never shorter than the destination's
 * `Retry-After` (up to about 24.8 days, the longest a timer waits).
 */
export function backoffDelay(policy: RetryPolicy, attempt: number, retryAfterMs?: number, random: () => number = Math.random): number {
  const base = Math.min(policy.max_interval, policy.initial_interval * 2 ** Math.min(attempt, 52));
  const jittered = base * (1 - RANDOMIZATION + 2 * RANDOMIZATION * random());
  return Math.round(Math.min(MAX_TIMER_MS, Math.max(jittered, retryAfterMs ?? 0)));
}
