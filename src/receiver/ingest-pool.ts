// Runs on: main thread.
import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import { TributaryError } from '../errors.js';
import { workerEntry } from '../paths.js';
import { configureWorkerHeaps } from '../worker-heap.js';
import type { IngestJob, IngestJobReply, IngestJobResult } from './ingest-job.js';

export interface IngestPool {
  /** Runs one request in a worker; a body not in a shared slab is transferred, so it is unusable after. */
  run(job: IngestJob): Promise<IngestJobResult>;
  /** Loads the task module in every worker, so the first requests do not pay for it. */
  warmUp(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The piscina pool that decompresses, converts and splits requests off the event loop. A worker
 * that fails with no job of its own (one that cannot start when no file descriptor is left) goes
 * to `onWorkerError`: unheard, piscina's 'error' event would end the process. The pool starts a
 * new worker for the next job.
 */
export function createIngestPool(workers = Math.max(1, Math.min(4, availableParallelism())), onWorkerError: (err: Error) => void = () => {}): IngestPool {
  configureWorkerHeaps();
  const pool = new Piscina<IngestJob, IngestJobReply>({
    filename: workerEntry('ingest-task'),
    minThreads: workers,
    maxThreads: workers,
  });
  pool.on('error', onWorkerError);
  return {
    async run(job) {
      // Shared slabs are passed by reference; a plain body is moved, not copied.
      const body = job.body.buffer;
      const reply = await pool.run(job, { transferList: body instanceof SharedArrayBuffer ? [] : [body as ArrayBuffer] });
      if (!reply.ok) throw TributaryError.fromJSON(reply.error);
      return reply.result;
    },
    async warmUp() {
      const empty = { signal: 'traces', format: 'protobuf', encoding: 'identity', maxBytes: 0, partitions: {}, receivedAt: 0, maxBatchBytes: 0, maxWriteAmplification: 1, maxWriteBytes: 0 } as const;
      await Promise.all(Array.from({ length: workers }, () => pool.run({ ...empty, body: new Uint8Array(0) })));
    },
    close: () => pool.destroy(),
  };
}
