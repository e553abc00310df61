import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { TributaryError } from '../../src/errors.js';
import { DataDirLock, LOCK_SOCKET } from '../../src/log/embedded/data-dir-lock.js';
import { startEmbedded, useDataDirs } from './helpers.js';

const dataDir = useDataDirs();

/** Leaves the lock socket of a process killed with SIGKILL while it held the lock. */
function leaveStaleLock(dir: string): void {
  const script = `require('node:net').createServer().listen(process.argv[1], () => process.kill(process.pid, 'SIGKILL'))`;
  mkdirSync(join(dir, 'meta'), { recursive: true });
  const socket = join(dir, 'meta', LOCK_SOCKET);
  spawnSync(process.execPath, ['-e', script, socket]);
  expect(existsSync(socket)).toBe(true);
}

describe('the data directory lock', () => {
  it("makes a missing data directory its owner's alone (every tenant's records), and leaves an existing one as it is", async () => {
    const made = join(dataDir(), 'new', 'data');
    await (await DataDirLock.acquire(made)).release();
    expect(statSync(made).mode & 0o777).toBe(0o700);
    const existing = dataDir();
    chmodSync(existing, 0o750);
    await (await DataDirLock.acquire(existing)).release();
    expect(statSync(existing).mode & 0o777).toBe(0o750);
  });

  it('is taken over from a holder killed with SIGKILL, and released by its owner', async () => {
    const dir = dataDir();
    leaveStaleLock(dir);
    const lock = await DataDirLock.acquire(dir);
    const err = await DataDirLock.acquire(dir).then(
      () => undefined,
      (e: TributaryError) => e,
    );
    expect(err).toMatchObject({ code: 'CONFIG_INVALID' });
    expect(err?.message).toMatch(/is in use by another engine in this process; stop it, or give this gateway another log\.data_dir/);
    await lock.release();
    expect(readdirSync(join(dir, 'meta'))).toEqual([]);
    await (await DataDirLock.acquire(dir)).release();
  });

  it('lets exactly one of two engines that start at the same moment over a stale lock have the directory', async () => {
    const dir = dataDir();
    leaveStaleLock(dir);
    const results = await Promise.allSettled([startEmbedded(dir), startEmbedded(dir)]);
    const started = results.filter((r) => r.status === 'fulfilled');
    const refused = results.filter((r) => r.status === 'rejected');
    expect(started).toHaveLength(1);
    expect(refused).toHaveLength(1);
    expect((refused[0] as PromiseRejectedResult).reason.message).toMatch(/in use by another engine in this process/);
    await (started[0] as PromiseFulfilledResult<Awaited<ReturnType<typeof startEmbedded>>>).value.shutdown();
    // Nothing is left aside: only the stale socket was moved, and then removed.
    expect(readdirSync(join(dir, 'meta')).filter((name) => name.startsWith(LOCK_SOCKET))).toEqual([]);
  });

  it.runIf(process.platform !== 'win32')('refuses to start where the lock socket should be is a directory or a file, naming the path and what to do, and moves nothing', async () => {
    for (const inTheWay of ['a directory', 'a file'] as const) {
      const dir = dataDir();
      const lockPath = join(dir, 'meta', LOCK_SOCKET);
      if (inTheWay === 'a directory') {
        mkdirSync(lockPath, { recursive: true });
        writeFileSync(join(lockPath, 'kept'), 'x');
      } else {
        mkdirSync(join(dir, 'meta'), { recursive: true });
        writeFileSync(lockPath, 'x');
      }
      const err = await startEmbedded(dir).then(
        () => undefined,
        (e: TributaryError) => e,
      );
      expect(err, inTheWay).toMatchObject({ code: 'CONFIG_INVALID' });
      expect(err?.message).toBe(
        `log.data_dir ${dir}: ${lockPath} is ${inTheWay}, where this gateway keeps its lock socket; remove it (the log keeps nothing there) and start again`,
      );
      // Left as it was, for the operator to look at.
      expect(readdirSync(join(dir, 'meta'))).toEqual([LOCK_SOCKET]);
      expect(readFileSync(inTheWay === 'a directory' ? join(lockPath, 'kept') : lockPath, 'utf8')).toBe('x');
    }
  });

  it.runIf(process.platform === 'linux')('works in a data directory whose socket path is longer than a Unix socket address', async () => {
    const dir = join(dataDir(), 'd'.repeat(120));
    const lock = await DataDirLock.acquire(dir);
    expect(existsSync(join(dir, 'meta', LOCK_SOCKET))).toBe(true);
    await expect(DataDirLock.acquire(dir)).rejects.toThrow(/is in use by another engine in this process/);
    await lock.release();
    expect(existsSync(join(dir, 'meta', LOCK_SOCKET))).toBe(false);
  });
});
