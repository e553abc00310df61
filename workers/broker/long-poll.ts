// Runs on: broker thread.
/** A fetch waiting for data at `offset` (Kafka's fetch purgatory), answered by an append or its timer. */
export interface FetchWaiter {
  offset: number;
  answer: () => void;
  timer: NodeJS.Timeout;
}

/** The fetches parked on one partition. */
export class LongPolls {
  private waiters: FetchWaiter[] = [];

  /** Parks a fetch; `answer` runs once, when data past `offset` arrives or after `maxWaitMs`. */
  park(offset: number, maxWaitMs: number, answer: () => void): void {
    const waiter: FetchWaiter = {
      offset,
      answer,
      timer: setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        answer();
      }, maxWaitMs),
    };
    this.waiters.push(waiter);
  }

  /** Answers the fetches that the new high watermark satisfies. */
  wake(highWatermark: number): void {
    if (this.waiters.length === 0) return;
    const ready = this.waiters.filter((w) => w.offset < highWatermark);
    if (ready.length === 0) return;
    this.waiters = this.waiters.filter((w) => w.offset >= highWatermark);
    for (const w of ready) {
      clearTimeout(w.timer);
      w.answer();
    }
  }

  /** Answers every parked fetch now (shutdown). */
  release(): void {
    const all = this.waiters;
    this.waiters = [];
    for (const w of all) {
      clearTimeout(w.timer);
      w.answer();
    }
  }
}
