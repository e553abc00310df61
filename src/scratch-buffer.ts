// Runs on: main thread and ingest workers (each its own buffers).
/**
 * A buffer reused by synchronous code that needs ordinary (not shared) memory for a moment.
 * V8 copies into and out of a SharedArrayBuffer with relaxed atomic accesses, several times slower
 * than memcpy: code that makes many small copies works in a scratch buffer and moves the bytes
 * to or from shared memory in one bulk copy (copyBytes). It grows to the largest size asked and
 * stays there.
 */
export class ScratchBuffer {
  private bytes: Buffer;

  constructor(initialBytes = 64 * 1024) {
    this.bytes = Buffer.allocUnsafeSlow(initialBytes);
  }

  /** `size` bytes, valid until the next take(); their content is undefined. */
  take(size: number): Buffer {
    if (this.bytes.length < size) this.bytes = Buffer.allocUnsafeSlow(Math.max(size, this.bytes.length * 2));
    return this.bytes.subarray(0, size);
  }
}
