import { spawnSync } from 'node:child_process';
import { closeSync, openSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** This process's RLIMIT_NOFILE, soft and hard. */
export function fileLimits(): { soft: number; hard: number } {
  const m = /^Max open files\s+(\d+)\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
  if (!m) throw new Error('cannot read the open-file limit from /proc/self/limits');
  return { soft: Number(m[1]), hard: Number(m[2]) };
}

function setSoftLimit(soft: number): void {
  const result = spawnSync('prlimit', ['--pid', String(process.pid), `--nofile=${soft}:`], { stdio: 'ignore' });
  if (result.status !== 0) throw new Error(`prlimit --nofile=${soft}: failed (${result.error?.message ?? `exit ${result.status}`})`);
}

/** The descriptors this process has open on files under `dir`. */
export function descriptorsUnder(dir: string): string[] {
  const out: string[] = [];
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const target = readlinkSync(`/proc/self/fd/${fd}`);
      if (target.startsWith(`${dir}/`) || target === dir) out.push(target);
    } catch {
      // Closed meanwhile (the descriptor readdir itself used).
    }
  }
  return out.sort();
}

/**
 * Runs `fn` with only `spare` more file descriptors to open, as in a process that has used up its
 * limit: the soft limit is lowered to just above the descriptors the next `spare` opens would get.
 * Some descriptors are held aside meanwhile, and freed before the limit is restored (running
 * prlimit needs a few).
 */
export function withDescriptorsLeft<T>(spare: number, fn: () => T): T {
  const restore = limitDescriptors(spare);
  try {
    return fn();
  } finally {
    restore();
  }
}

/** withDescriptorsLeft for an asynchronous `fn`: the limit stays lowered until it settles. */
export async function withDescriptorsLeftWhile<T>(spare: number, fn: () => Promise<T>): Promise<T> {
  const restore = limitDescriptors(spare);
  try {
    return await fn();
  } finally {
    restore();
  }
}

function limitDescriptors(spare: number): () => void {
  const { soft } = fileLimits();
  const held = Array.from({ length: 16 }, () => openSync('/dev/null', 'r'));
  // The kernel hands out the lowest free numbers: the next opens get what these probes got.
  const probes = Array.from({ length: spare + 1 }, () => openSync('/dev/null', 'r'));
  for (const fd of probes) closeSync(fd);
  setSoftLimit(probes[spare]);
  return () => {
    for (const fd of held) closeSync(fd);
    setSoftLimit(soft);
  };
}
