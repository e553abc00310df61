/**
 * Runs on: main thread.
 *
 * Which sink worker runs which pipeline members: each member goes to the worker that runs the
 * fewest, so the pipelines' work spreads over the threads (`members` is how a pipeline uses
 * several) and pipelines added at run time fill the threads that deleted ones left. The members
 * of a sink that must be one instance (one writer per file) stay together on one worker.
 */
import { availableParallelism } from 'node:os';

/** Half the cores, between 1 and 8: ingest (receiver pool, brokers) needs the rest. */
export function defaultSinkWorkers(cores = availableParallelism()): number {
  return Math.max(1, Math.min(8, Math.floor(cores / 2)));
}

/**
 * The worker of each of a pipeline's `members`, given how many members each worker runs now
 * (`load`, one entry per worker of the pool), which it updates. Ties go to the lowest worker.
 */
export function placePipeline(members: number, load: number[], oneInstance: boolean): number[] {
  const leastLoaded = () => load.reduce((best, n, i) => (n < load[best] ? i : best), 0);
  if (oneInstance) {
    const worker = leastLoaded();
    load[worker] += members;
    return Array.from({ length: members }, () => worker);
  }
  return Array.from({ length: members }, () => {
    const worker = leastLoaded();
    load[worker]++;
    return worker;
  });
}
