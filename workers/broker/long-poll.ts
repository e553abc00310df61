// Runs on: broker thread.

/** How a parked fetch waits: see FetchRequest's maxWaitMs, lingerMs and maxBytes. */
export interface FetchWait {
  offset: number;
  maxWaitMs: number;
  lingerMs: number;
  maxBytes: number;
}

/**
 * A fetch waiting for data past `offset` (Kafka's fetch purgatory), answered by an append or its
 * timer. With a linger, the first append starts a shorter wait for more instead, cut short once
 * `maxBytes` arrived.
 */
interface FetchWaiter extends FetchWait {
  answer: () => void;
  timer: NodeJS.Timeout;
  deadline: number;
  /** Bytes appended past `offset` since the fetch was parked. */
  arrived: number;
  lingering: boolean;
}

/** The fetches parked on one partition. */
export class LongPolls {
  private waiters: FetchWaiter[] = [];

  /** Parks a fetch; `answer` runs once: when data past `offset` arrived (and lingered), or after `maxWaitMs`. */
  park(wait: FetchWait, answer: () => void): void {
    const waiter: FetchWaiter = {
      ...wait,
      answer,
      deadline: performance.now() + wait.maxWaitMs,
      arrived: 0,
      lingering: false,
      timer: setTimeout(() => this.answer(waiter), wait.maxWaitMs),
    };
    this.waiters.push(waiter);
  }

  /** `bytes` were appended, up to `highWatermark`: answers (or starts the linger of) the fetches waiting for them. */
  appended(highWatermark: number, bytes: number): void {
    if (this.waiters.length === 0) return;
    const ready: FetchWaiter[] = [];
    for (const w of this.waiters) {
      if (w.offset >= highWatermark) continue;
      w.arrived += bytes;
      if (w.lingerMs === 0 || w.arrived >= w.maxBytes) {
        ready.push(w);
      } else if (!w.lingering) {
        w.lingering = true;
        clearTimeout(w.timer);
        w.timer = setTimeout(() => this.answer(w), Math.max(0, Math.min(w.lingerMs, w.deadline - performance.now())));
      }
    }
    for (const w of ready) this.answer(w);
  }

  /** Answers every parked fetch now (shutdown). */
  release(): void {
    for (const w of [...this.waiters]) this.answer(w);
  }

  private answer(waiter: FetchWaiter): void {
    const at = this.waiters.indexOf(waiter);
    if (at < 0) return;
    this.waiters.splice(at, 1);
    clearTimeout(waiter.timer);
    waiter.answer();
  }
}
