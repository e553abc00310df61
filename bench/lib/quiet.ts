// Runs on: main thread of a benchmark process.
import { cpus } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';

export interface QuietOptions {
  /** The machine counts as quiet while it keeps fewer cores than this busy over a window. */
  busyCores?: number;
  windowMs?: number;
  /** Gives up after this long, so a machine busy with other work slows a run instead of stalling it. */
  maxMs?: number;
}

/**
 * Resolves once the machine's CPUs have been (nearly) idle for a window, with the ms it waited.
 * A side's cleanup must not run inside the other side's measurement: after Redis DELs a million
 * entries, its jemalloc background thread purges the freed memory for a second or more, and
 * took up to 80% of a core during the engine's next append (BENCHMARKS.md, log engine, session 5).
 */
export async function whenQuiet({ busyCores = 0.2, windowMs = 250, maxMs = 10_000 }: QuietOptions = {}): Promise<number> {
  const start = performance.now();
  let before = busyMs();
  for (;;) {
    await sleep(windowMs);
    const after = busyMs();
    const cores = (after - before) / windowMs;
    before = after;
    const waited = performance.now() - start;
    if (cores < busyCores || waited >= maxMs) return Math.round(waited);
  }
}

/** CPU time all cores have spent not idle since boot, in ms. */
function busyMs(): number {
  let busy = 0;
  for (const { times } of cpus()) busy += times.user + times.nice + times.sys + times.irq;
  return busy;
}
