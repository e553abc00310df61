// Runs on: any thread (shared code with no thread of its own).

/** Keys kept at most; past it, those quiet for a whole interval are dropped (they would be logged anyway). */
const MAX_KEYS = 1000;

/**
 * Holds back repeats of one event: a failure that comes with every request or batch (a full
 * disk, a backend refusing everything) would otherwise write a line each time, thousands a
 * second, onto the disk that may be the one full. The first of a key is logged, then at most one
 * per interval, saying how many were held back since the last; metrics still count each one.
 */
export class LogThrottle {
  private readonly last = new Map<string, { at: number; held: number }>();

  constructor(
    private readonly intervalMs = 10_000,
    /** The monotonic clock: with the wall clock, one set back an hour would hold back every repeat for that hour. */
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Undefined: hold this one back. A number: log it, with that many held back before it (0: none). */
  allow(key: string): number | undefined {
    const now = this.now();
    const seen = this.last.get(key);
    if (seen && now - seen.at < this.intervalMs) {
      seen.held++;
      return undefined;
    }
    if (!seen && this.last.size >= MAX_KEYS) this.prune(now);
    this.last.set(key, { at: now, held: 0 });
    return seen?.held ?? 0;
  }

  private prune(now: number): void {
    for (const [key, { at }] of this.last) if (now - at >= this.intervalMs) this.last.delete(key);
  }
}

/** The field a throttled line carries when repeats were held back before it. */
export function heldBack(held: number): { repeatsHeldBack?: number } {
  return held > 0 ? { repeatsHeldBack: held } : {};
}
