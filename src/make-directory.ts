/**
 * Runs on: any thread (main thread, broker workers, sink workers).
 *
 * Creates a directory and its missing parents, as `mkdir -p` does. Node's own
 * `mkdir(dir, { recursive: true })` never returns where the kernel answers ENOENT to creating a
 * directory whose parent exists (under /proc or /sys, say): it retries the parent and the child
 * for ever, a thread spinning and the caller stuck. Here each level is tried at most twice, so a
 * directory that cannot be made is an error. Synchronous: it runs once per file or store opened,
 * and one version is all there is to keep right.
 */
import { mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';

const codeOf = (err: unknown) => (err as NodeJS.ErrnoException).code;

/** `mode` applies to `dir` where this call creates it (parents get the default); an existing one is left as it is. */
export function makeDirectorySync(dir: string, mode?: number): void {
  try {
    mkdirSync(dir, mode);
  } catch (err) {
    if (codeOf(err) === 'EEXIST' && statSync(dir).isDirectory()) return;
    const parent = dirname(dir);
    if (codeOf(err) !== 'ENOENT' || parent === dir) throw err;
    makeDirectorySync(parent);
    try {
      mkdirSync(dir, mode);
    } catch (again) {
      // Made by someone else meanwhile.
      if (codeOf(again) !== 'EEXIST' || !statSync(dir).isDirectory()) throw again;
    }
  }
}
