// Runs on: main thread, before it starts worker threads.
import { setFlagsFromString } from 'node:v8';

/**
 * Room for this much old generation in each worker thread's V8 heap before its first full
 * collection is due (the default start is a few MiB). V8 counts the bytes of every ArrayBuffer
 * that arrives from another thread (a fetch's batches, a buffer handed back) towards the next
 * full collection of the receiving thread, even once it is transferred away again: at the default,
 * a sink worker reading 100 MB/s of metrics ran a mark-compact every 100 ms, and with their
 * concurrent marking these were a third of what a delivery pipeline cost (docs/perf-notes.md).
 * The heap is collected as before once this much is in use; memory under overload is unchanged
 * (bench/overload.ts).
 */
const WORKER_INITIAL_OLD_SPACE_MIB = 64;

/**
 * Applies to the threads started after it (V8 reads the flag when it creates a thread's isolate);
 * the main thread's heap is the one the process started with. Idempotent.
 */
export function configureWorkerHeaps(): void {
  setFlagsFromString(`--initial-old-space-size=${WORKER_INITIAL_OLD_SPACE_MIB}`);
}
