// Runs on: ingest worker (piscina task).
import { move, transferableSymbol, valueSymbol } from 'piscina';
import { asTributaryError } from '../src/errors.js';
import { type IngestJob, type IngestJobReply, runIngestJob } from '../src/receiver/ingest-job.js';

/**
 * Piscina task: one request body in, its encoded record batches out. The batches travel back in
 * the caller's shared memory, or as one transferred ArrayBuffer when they did not fit; errors
 * come back as data, since thrown errors lose their code.
 */
export default function ingestTask(job: IngestJob): IngestJobReply | ReturnType<typeof move> {
  try {
    const result = runIngestJob(job);
    const reply: IngestJobReply = { ok: true, result };
    if (result.buffer instanceof SharedArrayBuffer) return reply;
    return move({ [transferableSymbol]: result.buffer, [valueSymbol]: reply });
  } catch (err) {
    return { ok: false, error: asTributaryError(err).toJSON() };
  }
}
