import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TributaryError } from '../../errors.js';

/**
 * One engine per data directory: two processes appending to the same segments would corrupt them.
 * The lock is a file holding the owner's pid; a lock whose process is gone (kill -9) is taken over.
 */
export class DataDirLock {
  private constructor(private readonly path: string) {}

  static acquire(dataDir: string): DataDirLock {
    const dir = join(dataDir, 'meta');
    mkdirSync(dir, { recursive: true });
    const path = join(dir, 'lock');
    for (;;) {
      try {
        writeFileSync(path, String(process.pid), { flag: 'wx' });
        return new DataDirLock(path);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const owner = Number(readFileSync(path, 'utf8').trim());
      if (Number.isInteger(owner) && owner > 0 && isAlive(owner)) {
        const who = owner === process.pid ? 'another engine in this process' : `process ${owner}`;
        throw new TributaryError('CONFIG_INVALID', `log.data_dir ${dataDir} is in use by ${who} (lock file ${path})`);
      }
      rmSync(path, { force: true });
    }
  }

  release(): void {
    rmSync(this.path, { force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
