// Runs on: main thread of a benchmark process.
import { existsSync, readdirSync, readFileSync } from 'node:fs';

/**
 * CPU time per thread of this process, from Linux's /proc/self/task (in 10 ms ticks; empty
 * elsewhere). Threads are told apart by when they appeared: a benchmark notes the thread ids
 * before and after starting each component, so broker threads, ingest workers and the rest
 * (V8's platform threads: garbage collection, compilation) each get their share.
 */
export function threadCpuMs(): Map<number, number> {
  const cpu = new Map<number, number>();
  if (!existsSync('/proc/self/task')) return cpu;
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      cpu.set(Number(tid), statCpuMs(`/proc/self/task/${tid}/stat`));
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return cpu;
}

/** CPU time of another process, all its threads (Linux only; undefined elsewhere or once it ended). */
export function processCpuMs(pid: number): number | undefined {
  try {
    return statCpuMs(`/proc/${pid}/stat`);
  } catch {
    return undefined;
  }
}

/**
 * CPU time of another process, in ms with nanosecond precision: the sum of its threads' run time
 * from /proc/<pid>/task/<tid>/schedstat (Linux only; undefined elsewhere or once it ended). Threads
 * that end between two readings drop out of the sum, so it suits processes whose threads live as
 * long as the measurement (a gateway, a mock cluster), where 10 ms ticks are too coarse for a
 * phase of tens of milliseconds.
 */
export function processRunTimeMs(pid: number): number | undefined {
  try {
    let ns = 0;
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
      } catch {
        // The thread ended between the listing and the read.
      }
    }
    return ns / 1e6;
  } catch {
    return undefined;
  }
}

/** utime + stime of a /proc stat file, in ms (USER_HZ = 100). */
function statCpuMs(path: string): number {
  const stat = readFileSync(path, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

export function threadIds(): Set<number> {
  return new Set(threadCpuMs().keys());
}

/** CPU ms per role between two snapshots; threads in no role count as `other`, the main thread as `main`. */
export function cpuByRole(before: Map<number, number>, after: Map<number, number>, roles: Record<string, Set<number>>): Record<string, number> {
  const totals: Record<string, number> = { main: 0, other: 0 };
  for (const name of Object.keys(roles)) totals[name] = 0;
  for (const [tid, ms] of after) {
    const used = ms - (before.get(tid) ?? 0);
    const role = tid === process.pid ? 'main' : (Object.keys(roles).find((name) => roles[name].has(tid)) ?? 'other');
    totals[role] += used;
  }
  return totals;
}
