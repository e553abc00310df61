import { pathToFileURL } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';
import { runningFromSource, workerEntry } from '../../paths.js';

/**
 * Starts the worker thread whose entry is `workers/<name>`. From sources, Node 20 does not apply
 * the parent's `--import tsx` hooks to worker threads, so the thread registers tsx itself before
 * it loads the TypeScript entry; builds load dist/ directly.
 */
export function spawnWorkerThread(name: string, options: WorkerOptions): Worker {
  const entry = workerEntry(name);
  if (!runningFromSource) return new Worker(entry, options);
  const tsx = import.meta.resolve('tsx/esm/api');
  const code =
    `import(${JSON.stringify(tsx)}).then(({ register }) => { register(); ` +
    `return import(${JSON.stringify(pathToFileURL(entry).href)}); });`;
  return new Worker(code, { ...options, eval: true, execArgv: [] });
}
