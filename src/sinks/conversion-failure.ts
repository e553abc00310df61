// Runs on: a sink worker.
import { TributaryError } from '../errors.js';
import { MalformedOtlpError } from '../otlp/malformed-otlp.js';
import type { Signal } from './sink.js';

/**
 * What a sink throws when converting a batch's records failed with `err`. A record that does not
 * decode is a permanent failure (SINK_REJECTED): retrying cannot fix it, so the batch goes to the
 * dead-letter topic. Anything else (an allocation that failed, a bug) is no fault of the records:
 * it is thrown as it is, and the delivery retries it as an error nobody classified.
 */
export function conversionFailure(signal: Signal, err: unknown): unknown {
  if (!(err instanceof MalformedOtlpError)) return err;
  return new TributaryError('SINK_REJECTED', `a ${signal} record does not decode: ${err.message}`, { cause: err });
}
