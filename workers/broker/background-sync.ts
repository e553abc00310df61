// Runs on: broker thread.
import { fdatasync, fsync } from 'node:fs';

type Settle = (err: Error | null) => void;

/**
 * Syncs of this thread waiting for their turn. libuv's thread pool (4 threads unless
 * UV_THREADPOOL_SIZE says otherwise) is shared by the whole process and serves its queue in
 * order: a broker that queued every partition's fdatasync at once held the main thread's file
 * reads (its module loading at start-up, the group offset store, file sinks) behind seconds of
 * disk writes. One sync at a time per broker leaves a pool thread free for everyone else.
 */
const waiting: { fd: number; directory: boolean; settle: Settle }[] = [];
let busy = false;

/**
 * fdatasync of files (and fsync of a directory) on libuv's thread pool, one at a time per broker
 * thread: the broker goes on appending meanwhile. `done` gets the first error, after every sync
 * has returned.
 */
export function syncInBackground(files: readonly number[], dir: number | undefined, done: Settle): void {
  let left = files.length + (dir === undefined ? 0 : 1);
  let first: Error | null = null;
  const settle = (err: Error | null) => {
    first ??= err;
    if (--left === 0) done(first);
  };
  if (left === 0) {
    queueMicrotask(() => done(null));
    return;
  }
  for (const fd of files) waiting.push({ fd, directory: false, settle });
  if (dir !== undefined) waiting.push({ fd: dir, directory: true, settle });
  if (!busy) runNext();
}

function runNext(): void {
  const job = waiting.shift();
  busy = job !== undefined;
  if (!job) return;
  (job.directory ? fsync : fdatasync)(job.fd, (err) => {
    try {
      job.settle(err);
    } finally {
      runNext();
    }
  });
}
