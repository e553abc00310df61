/**
 * Runs on: main thread.
 *
 * The memory of request frames partly received, all Kafka connections together
 * (kafka.max_partial_request_bytes). A frame's memory is taken when its size prefix arrives and
 * held until its last byte does: without a bound across connections, many clients each sending
 * the start of a large frame, slowly, would grow the process without limit. A frame that does not
 * fit waits, its connection unread, until frames completing or connections closing give memory
 * back; waiting frames are served in the order they came.
 */
export class FrameBudget {
  private used = 0;
  private readonly waiting: { bytes: number; granted: () => void }[] = [];

  constructor(readonly maxBytes: number) {}

  /** Bytes of frames partly received now. */
  get usedBytes(): number {
    return this.used;
  }

  /** Takes `bytes` now (true), or queues the frame (false): `granted` is called once they are taken for it. */
  take(bytes: number, granted: () => void): boolean {
    if (this.waiting.length === 0 && this.used + bytes <= this.maxBytes) {
      this.used += bytes;
      return true;
    }
    this.waiting.push({ bytes, granted });
    return false;
  }

  /** A waiting frame that is no longer wanted (its connection closed). */
  cancel(granted: () => void): void {
    const i = this.waiting.findIndex((w) => w.granted === granted);
    if (i >= 0) this.waiting.splice(i, 1);
    // The frame at the head may have held back smaller ones behind it.
    this.give(0);
  }

  give(bytes: number): void {
    this.used -= bytes;
    while (this.waiting.length > 0 && this.used + this.waiting[0].bytes <= this.maxBytes) {
      const next = this.waiting.shift()!;
      this.used += next.bytes;
      next.granted();
    }
  }
}
