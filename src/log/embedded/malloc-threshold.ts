// Runs on: main thread.
/**
 * glibc's malloc serves blocks over its mmap threshold with an mmap of their own, page-faulted in
 * and unmapped again when freed. The threshold starts at 128 KiB and, as documented in
 * mallopt(3), rises to the size of any larger mmapped block that is freed (up to 32 MiB), with
 * the heap's trim threshold at twice that. Until something raises it, every fetch of more than
 * 128 KiB (a batch of 1000 records of 460 bytes, a consumer's 1 MiB) costs the broker a fresh
 * mapping: reading 460 KB into a fresh buffer took ~200 µs here, into reused memory ~40.
 *
 * One 16 MiB block, allocated and dropped at start, raises both for the whole process (as
 * MALLOC_MMAP_THRESHOLD_=16777216 would), once the garbage collector frees it. A threshold the
 * operator set is kept: glibc then stops adjusting it. Other allocators just free the block.
 * 16 MiB, because a trim threshold of 32 MiB outlasts the bursts in which collections free
 * fetched buffers; 8 MiB halved the cost, 4 MiB did not help.
 */
export function raiseMallocThresholds(): void {
  Buffer.allocUnsafeSlow(THRESHOLD_BYTES);
}

const THRESHOLD_BYTES = 16 * 1024 * 1024;
