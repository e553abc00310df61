import { move, transferableSymbol, valueSymbol } from 'piscina';
import { asTributaryError } from '../src/errors.js';
import { type IngestReply, type IngestTask, ingest } from '../src/otlp/ingest.js';

/**
 * Piscina task: one request body in, its records out. The records' bytes travel back as one
 * transferred ArrayBuffer; errors come back as data, since thrown errors lose their code.
 */
export default function ingestTask(task: IngestTask): IngestReply | ReturnType<typeof move> {
  try {
    const outcome = ingest(task);
    const reply: IngestReply = { ok: true, outcome };
    return move({ [transferableSymbol]: outcome.buffer, [valueSymbol]: reply });
  } catch (err) {
    return { ok: false, error: asTributaryError(err).toJSON() };
  }
}
