/** Runs on: a sink worker. */
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { TributaryError } from '../errors.js';
import type { ConsumedRecord } from '../log/types.js';
import { protoToJson } from '../otlp/proto-to-json.js';
import { REQUEST_MESSAGE } from '../otlp/signals.js';
import type { Signal } from './sink.js';

/** Records decoded between two yields: keeps a large batch from holding the event loop (and ingest) for long. */
const RECORDS_PER_SLICE = 64;

/**
 * A record's value (a protobuf Export*ServiceRequest) as OTLP/JSON. A value that does not decode
 * is a permanent failure: retrying cannot fix it, so the batch goes to the dead-letter topic.
 */
function decodeRequest(signal: Signal, value: Uint8Array): Record<string, unknown> {
  try {
    return protoToJson(value, REQUEST_MESSAGE[signal]);
  } catch (err) {
    throw new TributaryError('SINK_REJECTED', `a ${signal} record does not decode: ${(err as Error).message}`, { cause: err });
  }
}

/** Decodes the records of one signal, yielding to the event loop between slices. */
export async function decodeRecords(signal: Signal, records: readonly ConsumedRecord[]): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  for (let i = 0; i < records.length; i++) {
    if (i > 0 && i % RECORDS_PER_SLICE === 0) await yieldToEventLoop();
    out.push(decodeRequest(signal, records[i].value ?? Buffer.alloc(0)));
  }
  return out;
}
