import { TributaryError } from '../errors.js';
import { protoToJson } from '../otlp/proto-to-json.js';
import { REQUEST_MESSAGE } from '../otlp/signals.js';
import type { Signal } from './sink.js';

/**
 * A record's value (a protobuf Export*ServiceRequest) as OTLP/JSON. A value that does not decode
 * is a permanent failure: retrying cannot fix it, so the batch goes to the dead-letter topic.
 */
export function decodeRequest(signal: Signal, value: Uint8Array): Record<string, unknown> {
  try {
    return protoToJson(value, REQUEST_MESSAGE[signal]);
  } catch (err) {
    throw new TributaryError('SINK_REJECTED', `a ${signal} record does not decode: ${(err as Error).message}`, { cause: err });
  }
}
