import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { capability } from './capability.js';

/**
 * A disk that really fills up, for the full-disk tests: a small tmpfs. Mounting needs root; where
 * it is not allowed the tests skip with a printed reason, and fail under CI=true (capability).
 */
export function canMountSmallDisk(): boolean {
  return (
    process.platform === 'linux' &&
    capability('mounting a tmpfs (root)', ['sh', '-c', 'd=$(mktemp -d) && mount -t tmpfs -o size=64k tmpfs "$d" && umount "$d" && rmdir "$d"'])
  );
}

export interface SmallDisk {
  path: string;
  unmount(): void;
}

/** Mounts a tmpfs of `size` (`64k`, `4m`) on a fresh temp directory. */
export function mountSmallDisk(size: string): SmallDisk {
  const path = mkdtempSync(join(tmpdir(), 'tributary-small-disk-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tributary-test', path]);
  return {
    path,
    unmount() {
      execFileSync('umount', ['--lazy', path]);
      rmSync(path, { recursive: true, force: true });
    },
  };
}

/** Writes `file` until the disk is full (ENOSPC); rethrows any other error. */
export function fillDisk(file: string, chunkBytes = 4096): void {
  const fd = openSync(file, 'w');
  const chunk = Buffer.alloc(chunkBytes, 1);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  } finally {
    closeSync(fd);
  }
}
