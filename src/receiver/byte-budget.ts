/**
 * Runs on: main thread.
 *
 * Bytes of requests in flight, bounded by `receiver.max_inflight_bytes`: a request that would
 * pass the limit is pushed back (429) instead of growing memory. A request that holds every byte
 * counted is always let grow, so a single request larger than the budget can still be served
 * when nothing else is.
 */
export class ByteBudget {
  private used = 0;

  constructor(
    private readonly limit: number,
    private readonly onChange: (used: number) => void = () => {},
  ) {}

  /**
   * Adds `bytes` to a request that holds `held` already (0 for a new one), unless that passes the
   * limit while other requests hold bytes too; false then, and nothing is added.
   */
  tryAdd(bytes: number, held = 0): boolean {
    if (this.used > held && this.used + bytes > this.limit) return false;
    this.add(bytes);
    return true;
  }

  /** Adds (or, negative, releases) bytes whatever the limit: memory already taken, or given back. */
  add(bytes: number): void {
    this.used += bytes;
    this.onChange(this.used);
  }
}
