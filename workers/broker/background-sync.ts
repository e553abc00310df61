import { fdatasync, fsync } from 'node:fs';

/**
 * fdatasync of files (and fsync of a directory) on libuv's thread pool, all at once: the broker
 * thread goes on appending meanwhile. `done` gets the first error, after every sync has returned.
 */
export function syncInBackground(files: readonly number[], dir: number | undefined, done: (err: Error | null) => void): void {
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
  for (const fd of files) fdatasync(fd, settle);
  if (dir !== undefined) fsync(dir, settle);
}
