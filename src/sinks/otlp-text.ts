/**
 * Runs on: a sink worker.
 *
 * What the text sinks (file, webhook, debug) make of a signal's records, read from the
 * protobuf wire: the merged request as OTLP/JSON bytes, and a summary (items, services).
 */
import { TributaryError } from '../errors.js';
import type { ConsumedRecord } from '../log/types.js';
import { protoToJsonBytes } from '../otlp/proto-to-json-bytes.js';
import { REQUEST_MESSAGE } from '../otlp/signals.js';
import { LEN, WireReader } from '../otlp/wire-reader.js';
import { countItems } from './otlp-items.js';
import type { Signal } from './sink.js';
import { mergeRequests } from './signals.js';
import { keyValueAt } from './wire-values.js';

/**
 * One OTLP/JSON request holding every record's data, followed by `suffix` when given. A record
 * that does not decode is a permanent failure: retrying cannot fix it, so the batch goes to the
 * dead-letter topic.
 */
export function recordsAsJson(signal: Signal, records: readonly ConsumedRecord[], suffix?: Uint8Array): Buffer {
  try {
    return protoToJsonBytes(mergeRequests(records), REQUEST_MESSAGE[signal], suffix);
  } catch (err) {
    throw new TributaryError('SINK_REJECTED', `a ${signal} record does not decode: ${(err as Error).message}`, { cause: err });
  }
}

export interface RecordsSummary {
  /** Spans, metric data points or log records. */
  items: number;
  /** `service.name` of each resource, `unknown` where it has none. */
  services: Set<string>;
}

/** Counts the items of the records and names the services they came from, without decoding the items. */
export function summarizeRecords(signal: Signal, records: readonly ConsumedRecord[]): RecordsSummary {
  const summary: RecordsSummary = { items: 0, services: new Set() };
  for (const record of records) {
    const buf = record.value ?? Buffer.alloc(0);
    try {
      summary.items += countItems(signal, buf);
      const r = new WireReader(buf, 0, buf.length);
      while (r.next()) if (r.field === 1 && r.wireType === LEN) summary.services.add(serviceOf(buf, r.valueStart, r.valueEnd) ?? 'unknown');
    } catch (err) {
      throw new TributaryError('SINK_REJECTED', `a ${signal} record does not decode: ${(err as Error).message}`, { cause: err });
    }
  }
  return summary;
}

/** `service.name` of a Resource{Spans,Metrics,Logs}: its resource (field 1), that resource's attributes (field 1). */
function serviceOf(buf: Uint8Array, start: number, end: number): string | undefined {
  let service: string | undefined;
  const r = new WireReader(buf, start, end);
  while (r.next()) {
    if (r.field !== 1 || r.wireType !== LEN) continue;
    const a = new WireReader(buf, r.valueStart, r.valueEnd);
    while (a.next()) {
      if (a.field !== 1 || a.wireType !== LEN) continue;
      const [key, value] = keyValueAt(buf, a.valueStart, a.valueEnd);
      if (key === 'service.name') service = value;
    }
  }
  return service;
}
