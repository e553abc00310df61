import Piscina from 'piscina';
import { asTributaryError, type SerializedError } from '../src/errors.js';
import { type IngestOutcome, type IngestTask, ingest } from '../src/otlp/ingest.js';

export type IngestReply = { ok: true; outcome: IngestOutcome } | { ok: false; error: SerializedError };

/**
 * Piscina task: one request body in, its records out. The records' bytes travel back as one
 * transferred ArrayBuffer; errors come back as data, since thrown errors lose their code.
 */
export default function ingestTask(task: IngestTask): IngestReply | ReturnType<typeof Piscina.move> {
  try {
    const outcome = ingest(task);
    const reply: IngestReply = { ok: true, outcome };
    return Piscina.move({ [Piscina.transferableSymbol]: outcome.buffer, [Piscina.valueSymbol]: reply });
  } catch (err) {
    return { ok: false, error: asTributaryError(err).toJSON() };
  }
}
