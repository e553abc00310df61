/**
 * Runs on: main thread.
 *
 * The memory the Kafka listener's Fetch responses hold together, from the log's read until the
 * socket is done with them. A Fetch of a few bytes may ask for 55 MiB, and Kafka serves it from
 * the page cache (sendfile); here the records are read into memory, so a few dozen consumers
 * catching up at once, or clients that never read their responses, would hold gigabytes. While
 * the total is under FETCH_MEMORY_BYTES a Fetch reads all it may; past it, each reads at most
 * FETCH_FLOOR_BYTES (and still its first batch whole), so every client keeps getting records and
 * each connection costs about what its unsent responses may hold anyway.
 */

/** What all Fetch responses may hold before each is cut to FETCH_FLOOR_BYTES. */
const FETCH_MEMORY_BYTES = 64 * 1024 * 1024;
/** What a Fetch may read however busy the budget is: a consumer's default max.partition.fetch.bytes. */
const FETCH_FLOOR_BYTES = 1024 * 1024;

export class FetchMemory {
  private used = 0;
  /** The bytes each response holds until it is sent. */
  private readonly heldBy = new WeakMap<object, number>();

  constructor(
    private readonly limitBytes = FETCH_MEMORY_BYTES,
    private readonly floorBytes = FETCH_FLOOR_BYTES,
  ) {}

  /** The bytes held now. */
  get inUse(): number {
    return this.used;
  }

  /** How many of `wanted` bytes a read may take now; held until given back with release(). */
  reserve(wanted: number): number {
    const granted = Math.min(wanted, Math.max(this.floorBytes, this.limitBytes - this.used));
    this.used += granted;
    return granted;
  }

  release(bytes: number): void {
    this.used -= bytes;
  }

  /** Holds `bytes` for `response` (what it carries), until sent(response). */
  hold(response: object, bytes: number): void {
    this.used += bytes;
    this.heldBy.set(response, bytes);
  }

  sent(response: object): void {
    this.used -= this.heldBy.get(response) ?? 0;
    this.heldBy.delete(response);
  }
}
