// Runs on: any thread (ingest workers check requests, sinks and the CLI decode records).
import { TributaryError } from '../errors.js';

/**
 * OTLP input that is not the message it should be: protobuf bytes that do not decode, or messages
 * nested too deep to decode (NestingTooDeepError). The input's own fault, so no retry fixes it:
 * the receiver answers it 400 (INVALID_REQUEST), and a sink that meets it in a stored record
 * dead-letters the batch (src/sinks/conversion-failure.ts), where any other failure of its
 * conversion is retried.
 */
export class MalformedOtlpError extends TributaryError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('INVALID_REQUEST', message, { details });
  }
}
