// Runs on: ingest worker.
const INITIAL_INTS = 256;
/** 1 MiB: the tables of a request of 50,000 spans. */
const RETAINED_INTS = 256 * 1024;

/**
 * A growable list of int32s for per-request tables that keeps its storage from one request to
 * the next: `array.length = 0` would free an array's storage, and growing it back allocates.
 * Storage past RETAINED_INTS is let go at `clear`, so one huge request does not pin its tables'
 * memory in the thread for good.
 */
export class IntList {
  data = new Int32Array(INITIAL_INTS);
  length = 0;

  push(value: number): void {
    if (this.length === this.data.length) this.grow();
    this.data[this.length++] = value;
  }

  clear(): void {
    this.length = 0;
    if (this.data.length > RETAINED_INTS) this.data = new Int32Array(INITIAL_INTS);
  }

  private grow(): void {
    const bigger = new Int32Array(this.data.length * 2);
    bigger.set(this.data);
    this.data = bigger;
  }
}
