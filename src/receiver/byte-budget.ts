/**
 * Bytes of requests in flight, bounded by `receiver.max_inflight_bytes`: a request that would
 * pass the limit is pushed back (429) instead of growing memory. One request is always let in,
 * so a single request larger than the budget can still be served when nothing else is.
 */
export class ByteBudget {
  private used = 0;

  constructor(
    private readonly limit: number,
    private readonly onChange: (used: number) => void = () => {},
  ) {}

  tryAcquire(bytes: number): boolean {
    if (this.used > 0 && this.used + bytes > this.limit) return false;
    this.add(bytes);
    return true;
  }

  /** Grows (or shrinks) a reservation already made, e.g. once the real size is known. */
  add(bytes: number): void {
    this.used += bytes;
    this.onChange(this.used);
  }
}
