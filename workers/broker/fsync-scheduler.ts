// Runs on: broker thread.
import type { FsyncPolicy } from './partition-log-types.js';

/** What the flusher needs of a partition's storage. */
export interface Flushable {
  readonly unflushed: boolean;
  flush(): void;
  /** flush() on another thread; `done` once it is over. */
  flushInBackground(done: (err?: unknown) => void): void;
}

type Done = (err?: unknown) => void;

/**
 * Decides when appended bytes reach the disk, per `log.fsync`:
 * - always: a write is answered only after its partition is flushed. Appends that arrive together
 *   (one turn of the event loop) are all written first, then each touched partition is flushed once,
 *   then all of them are answered: one fsync serves every concurrent writer.
 * - interval: every `intervalMs`, each partition with unflushed bytes is flushed in the
 *   background (fdatasync on the thread pool), so appends never wait behind it.
 * - never: the OS writes back in its own time; close still flushes.
 */
export class FsyncScheduler {
  private readonly waiting = new Map<Flushable, Done[]>();
  private scheduled = false;
  private readonly timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly policy: FsyncPolicy,
    intervalMs: number,
    private readonly all: () => Iterable<Flushable>,
    private readonly onError: (err: unknown) => void,
  ) {
    // The config refuses an interval under 10 ms (log.fsync_interval): a shorter one is fsync: always's job.
    if (policy === 'interval') this.timer = setInterval(() => this.flushAllInBackground(), intervalMs);
  }

  /** Calls `done` once the append to `log` is as durable as the policy asks. */
  afterAppend(log: Flushable, done: Done): void {
    if (this.policy !== 'always') {
      done();
      return;
    }
    const list = this.waiting.get(log);
    if (list) list.push(done);
    else this.waiting.set(log, [done]);
    if (!this.scheduled) {
      this.scheduled = true;
      // Messages that arrived with this one are handled before setImmediate callbacks run.
      setImmediate(() => this.flushWaiting());
    }
  }

  /** Flushes every partition and answers everyone still waiting. */
  close(): void {
    clearInterval(this.timer);
    this.flushWaiting();
    this.flushAll();
  }

  private flushWaiting(): void {
    this.scheduled = false;
    const batches = [...this.waiting];
    this.waiting.clear();
    for (const [log, dones] of batches) {
      let error: unknown;
      try {
        log.flush();
      } catch (err) {
        error = err;
      }
      for (const done of dones) done(error);
    }
  }

  private flushAllInBackground(): void {
    for (const log of this.all()) {
      if (!log.unflushed) continue;
      log.flushInBackground((err) => {
        if (err) this.onError(err);
      });
    }
  }

  private flushAll(): void {
    for (const log of this.all()) {
      if (!log.unflushed) continue;
      try {
        log.flush();
      } catch (err) {
        this.onError(err);
      }
    }
  }
}
