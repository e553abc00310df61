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
import { countEntryItems } from './otlp-items.js';
import type { Signal } from './sink.js';
import { mergeRequests } from './signals.js';
import { anyValueTextAt } from './wire-values.js';

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

/**
 * Counts the items of the records and names the services they came from, without decoding the
 * items: one walk per resource entry, with one reader for the whole batch (records by the
 * thousand are summarized per second).
 */
export function summarizeRecords(signal: Signal, records: readonly ConsumedRecord[]): RecordsSummary {
  const summary: RecordsSummary = { items: 0, services: new Set() };
  const services = new ResourceServices();
  const entries = new WireReader(EMPTY, 0, 0);
  const inside = new WireReader(EMPTY, 0, 0);
  for (const record of records) {
    if (record.valueSize <= 0) continue;
    const buf = record.valueBytes;
    const start = record.valueStart;
    try {
      entries.reset(buf, start, start + record.valueSize);
      while (entries.next()) {
        if (entries.field !== 1 || entries.wireType !== LEN) continue;
        inside.reset(buf, entries.valueStart, entries.valueEnd);
        summary.services.add(services.of(buf, inside));
        summary.items += countEntryItems(signal, inside, entries.valueStart, entries.valueEnd);
      }
    } catch (err) {
      throw new TributaryError('SINK_REJECTED', `a ${signal} record does not decode: ${(err as Error).message}`, { cause: err });
    }
  }
  return summary;
}

const EMPTY = new Uint8Array(0);

/**
 * `service.name` of Resource{Spans,Metrics,Logs} entries, `unknown` where there is none. The
 * records of one request repeat their resource's bytes, so the last resource's are kept: the same
 * bytes again name the same service without walking their attributes.
 */
class ResourceServices {
  /** The last resource's bytes, `last[lastStart, lastEnd)`; at first none, whose service is unknown. */
  private last: Buffer = Buffer.alloc(0);
  private lastStart = 0;
  private lastEnd = 0;
  private lastService = 'unknown';

  /** The service of the entry `r` is about to walk (in `buf`). */
  of(buf: Buffer, r: WireReader): string {
    let resourceStart = -1;
    let resourceEnd = -1;
    while (r.next()) {
      if (r.field !== 1 || r.wireType !== LEN) continue;
      resourceStart = r.valueStart;
      resourceEnd = r.valueEnd;
    }
    if (resourceStart < 0) return 'unknown';
    if (buf.compare(this.last, this.lastStart, this.lastEnd, resourceStart, resourceEnd) === 0) return this.lastService;
    this.last = buf;
    this.lastStart = resourceStart;
    this.lastEnd = resourceEnd;
    this.lastService = serviceOf(buf, resourceStart, resourceEnd) ?? 'unknown';
    return this.lastService;
  }
}

const SERVICE_NAME = Buffer.from('service.name');

/** `service.name` among a Resource's attributes (field 1). Keys are compared as bytes: only the one value is made a string. */
function serviceOf(buf: Uint8Array, start: number, end: number): string | undefined {
  let service: string | undefined;
  const attributes = new WireReader(buf, start, end);
  while (attributes.next()) {
    if (attributes.field !== 1 || attributes.wireType !== LEN) continue;
    const value = serviceNameValue(buf, attributes.valueStart, attributes.valueEnd);
    if (value !== undefined) service = value;
  }
  return service;
}

/** The value of a KeyValue whose key is `service.name` (empty when it has none), else undefined. */
function serviceNameValue(buf: Uint8Array, start: number, end: number): string | undefined {
  let named = false;
  let valueStart = -1;
  let valueEnd = -1;
  const kv = new WireReader(buf, start, end);
  while (kv.next()) {
    if (kv.wireType !== LEN) continue;
    if (kv.field === 1) named = isServiceName(buf, kv.valueStart, kv.valueEnd);
    else if (kv.field === 2) [valueStart, valueEnd] = [kv.valueStart, kv.valueEnd];
  }
  if (!named) return undefined;
  return valueStart < 0 ? '' : anyValueTextAt(buf, valueStart, valueEnd);
}

function isServiceName(buf: Uint8Array, start: number, end: number): boolean {
  if (end - start !== SERVICE_NAME.length) return false;
  for (let i = 0; i < SERVICE_NAME.length; i++) if (buf[start + i] !== SERVICE_NAME[i]) return false;
  return true;
}
