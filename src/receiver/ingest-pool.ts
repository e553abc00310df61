import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import { TributaryError } from '../errors.js';
import type { IngestOutcome, IngestReply, IngestTask } from '../otlp/ingest.js';
import { workerEntry } from '../paths.js';

export interface IngestPool {
  /** Runs one request in a worker; the body's buffer is transferred, so it is unusable after. */
  run(task: IngestTask): Promise<IngestOutcome>;
  /** Loads the task module in every worker, so the first requests do not pay for it. */
  warmUp(): Promise<void>;
  close(): Promise<void>;
}

/** The piscina pool that decompresses, converts and splits requests off the event loop. */
export function createIngestPool(workers = Math.max(1, Math.min(4, availableParallelism()))): IngestPool {
  const pool = new Piscina<IngestTask, IngestReply>({
    filename: workerEntry('ingest-task'),
    minThreads: workers,
    maxThreads: workers,
  });
  return {
    async run(task) {
      const reply = await pool.run(task, { transferList: [task.body.buffer as ArrayBuffer] });
      if (!reply.ok) throw TributaryError.fromJSON(reply.error);
      return reply.outcome;
    },
    async warmUp() {
      const empty = { signal: 'traces', format: 'protobuf', encoding: 'identity', maxBytes: 0, partitions: {} } as const;
      await Promise.all(Array.from({ length: workers }, () => pool.run({ ...empty, body: new Uint8Array(0) })));
    },
    close: () => pool.destroy(),
  };
}
