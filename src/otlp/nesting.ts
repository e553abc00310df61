// Runs on: any thread (ingest workers check requests, sinks and the CLI decode records).
import { MalformedOtlpError } from './malformed-otlp.js';

/**
 * How deep OTLP messages may nest, the request itself being level 0 (a span's attribute value is
 * at level 5). Only AnyValue arrays and kvlists can go deeper than a dozen levels: each array
 * adds 2 levels, each kvlist 3. 100 is protobuf's own default recursion limit (Java, C++), so
 * every record the gateway stores can be decoded by such a consumer, by the gateway's sinks and
 * by `tributary tail --decode`, whose decoders recurse.
 */
export const MAX_NESTING_DEPTH = 100;

/** A request nested past MAX_NESTING_DEPTH: the whole request is refused (400), not one item. */
export class NestingTooDeepError extends MalformedOtlpError {
  constructor(where: string) {
    super(`${where}: messages nest more than ${MAX_NESTING_DEPTH} levels deep (AnyValue arrays and kvlists nested too deep)`);
  }
}
