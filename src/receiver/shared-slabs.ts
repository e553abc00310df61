// Runs on: main thread.
/**
 * Reusable SharedArrayBuffers for what crosses between the main thread and the ingest workers:
 * request bodies on the way in, encoded record batches on the way out. A fresh ArrayBuffer per
 * request (and one transferred back) is external memory V8 answers with a full mark-compact every
 * few dozen requests; a slab is allocated once, passed by reference and used again.
 *
 * Slabs come in power-of-two sizes; a request larger than the biggest gets a plain buffer.
 * Released slabs are kept up to `maxRetainedBytes`, so an idle receiver does not hold a burst's
 * worth of memory forever.
 */
const MIN_SLAB_BYTES = 64 * 1024;
const MAX_SLAB_BYTES = 16 * 1024 * 1024;

export class SharedSlabs {
  private readonly free = new Map<number, SharedArrayBuffer[]>();
  private retained = 0;

  constructor(private readonly maxRetainedBytes = 32 * 1024 * 1024) {}

  /** `size` bytes: a view of a shared slab, or a plain Uint8Array past the largest slab size. */
  take(size: number): Uint8Array {
    const slab = this.takeSlab(size);
    return slab ? new Uint8Array(slab, 0, size) : new Uint8Array(size);
  }

  /** A whole slab of at least `size` bytes, to pass to a worker that writes into it; none past the largest size. */
  takeSlab(size: number): SharedArrayBuffer | undefined {
    const slabBytes = slabSize(size);
    if (slabBytes === undefined) return undefined;
    const reused = this.free.get(slabBytes)?.pop();
    if (!reused) return new SharedArrayBuffer(slabBytes);
    this.retained -= slabBytes;
    return reused;
  }

  /** Hands a slab back once no thread reads or writes it any more; other buffers are ignored. */
  release(memory: ArrayBufferLike | undefined): void {
    if (!(memory instanceof SharedArrayBuffer)) return;
    const slabBytes = memory.byteLength;
    if (slabSize(slabBytes) !== slabBytes || this.retained + slabBytes > this.maxRetainedBytes) return;
    let list = this.free.get(slabBytes);
    if (!list) {
      list = [];
      this.free.set(slabBytes, list);
    }
    list.push(memory);
    this.retained += slabBytes;
  }
}

function slabSize(size: number): number | undefined {
  if (size > MAX_SLAB_BYTES) return undefined;
  let slab = MIN_SLAB_BYTES;
  while (slab < size) slab *= 2;
  return slab;
}
