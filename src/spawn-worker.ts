// Runs on: main thread (starting broker and sink worker threads), and inside each thread it starts (withWorkerData).
import { pathToFileURL } from 'node:url';
import { parentPort, Worker, type WorkerOptions, workerData } from 'node:worker_threads';
import { runningFromSource, workerEntry } from './paths.js';
import { configureWorkerHeaps } from './worker-heap.js';

/**
 * Threads started ahead of need, by entry name; spawnWorkerThread hands them out first.
 * Process-wide on purpose, not a gateway's: a spare holds nothing of any gateway (it starts
 * without workerData, its modules' state lives in its own isolate, and it learns whose thread it
 * is from its first message), and what makes one (the entry, tsx when run from sources, the heap
 * flag) is the same for every gateway of the process. Two gateways in one process (tests) could
 * take each other's spares without telling the difference. Only `tributary start`, one gateway
 * per process, starts spares, before that gateway's modules are even loaded, and only as many as
 * its role will ask for.
 */
const spares = new Map<string, Worker[]>();

function startThread(name: string, options: WorkerOptions): Worker {
  configureWorkerHeaps();
  const entry = workerEntry(name);
  if (!runningFromSource) return new Worker(entry, options);
  const tsx = import.meta.resolve('tsx/esm/api');
  const code =
    `import(${JSON.stringify(tsx)}).then(({ register }) => { register(); ` +
    `return import(${JSON.stringify(pathToFileURL(entry).href)}); });`;
  return new Worker(code, { ...options, eval: true, execArgv: [] });
}

/**
 * Starts the worker thread whose entry is `workers/<name>`. From sources, Node 20 does not apply
 * the parent's `--import tsx` hooks to worker threads, so the thread registers tsx itself before
 * it loads the TypeScript entry; builds load dist/ directly. A thread from prespawnWorkerThreads
 * is used when one is left: it gets `options.workerData` as its first message instead (see
 * withWorkerData), and `options.name` is not applied to it.
 */
export function spawnWorkerThread(name: string, options: WorkerOptions): Worker {
  const spare = spares.get(name)?.shift();
  if (!spare) return startThread(name, options);
  spare.removeAllListeners();
  spare.ref();
  spare.postMessage(options.workerData);
  return spare;
}

/**
 * Starts `count` threads of `workers/<name>` now, so that Node's start-up of each thread and the
 * import of its modules overlap whatever the process does before it needs them. They do not keep
 * the process alive; one that dies before it is used is dropped (a fresh thread replaces it).
 */
export function prespawnWorkerThreads(name: string, count: number): void {
  const list = spares.get(name) ?? [];
  spares.set(name, list);
  for (let i = 0; i < count; i++) {
    const worker = startThread(name, { name: `tributary-${name}` });
    worker.unref();
    // An error before the thread is used is reported again by the thread that replaces it.
    worker.on('error', () => undefined);
    worker.once('exit', () => list.splice(list.indexOf(worker), 1));
    list.push(worker);
  }
}

/**
 * Inside a worker thread: calls `start` with the thread's workerData, or, for a prespawned thread,
 * with its first message. `start` runs inside that message's event, so a listener it adds on
 * parentPort gets every later message.
 */
export function withWorkerData<T>(start: (data: T) => void): void {
  if (workerData !== undefined && workerData !== null) start(workerData as T);
  else if (parentPort) parentPort.once('message', start);
  else throw new Error('withWorkerData() runs in a worker thread');
}
