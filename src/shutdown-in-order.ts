// Runs on: main thread.
import { asTributaryError, TributaryError } from './errors.js';

/** One part of a component to stop, and the name its failure is reported under. */
export type ShutdownStep = readonly [name: string, stop: () => Promise<void> | void];

/**
 * Runs every step in order, each one even when an earlier one failed: a part that cannot stop
 * must not keep the others (listening sockets, threads, the data directory's lock) held. Once all
 * have run, throws one error naming each step that failed, with the failures as its cause.
 */
export async function shutdownInOrder(steps: readonly ShutdownStep[]): Promise<void> {
  const failures: { name: string; error: TributaryError }[] = [];
  for (const [name, stop] of steps) {
    try {
      await stop();
    } catch (err) {
      failures.push({ name, error: asTributaryError(err) });
    }
  }
  if (failures.length === 0) return;
  const cause = failures.length === 1 ? failures[0].error : new AggregateError(failures.map((f) => f.error));
  const what = failures.map((f) => `${f.name} (${f.error.message})`).join('; ');
  throw new TributaryError('INTERNAL', `shutdown finished, but stopping ${what} failed`, { cause });
}
