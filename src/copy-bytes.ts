// Runs on: any thread (shared code with no thread of its own).
/**
 * Copies `source` into `target` at `offset` with a plain memcpy, whichever of them lies in a
 * SharedArrayBuffer. V8 copies to or from shared memory (TypedArray#set, Buffer#copy) with relaxed
 * atomic accesses, and byte by byte unless both ends share their alignment: a 46 KB batch into an
 * odd ring offset took 14 µs instead of 1. Buffer#fill with a buffer for its value is a memcpy in
 * Node's C++, whatever the memory.
 */
export function copyBytes(target: Uint8Array, source: Uint8Array, offset = 0): void {
  if (source.length === 0) return;
  if (offset + source.length > target.length) throw new RangeError(`${source.length} bytes do not fit at ${offset} of ${target.length}`);
  Buffer.prototype.fill.call(target, source, offset, offset + source.length);
}
