/**
 * Runs on: a sink worker.
 *
 * What the text sinks (file, webhook, debug) make of a signal's records, read from the
 * protobuf wire: the merged request as OTLP/JSON bytes, and a summary (items, services).
 */
import type { ConsumedRecord } from '../log/types.js';
import { protoToJsonBytes } from '../otlp/proto-to-json-bytes.js';
import { SIGNAL_FIELD } from '../otlp/field-numbers.js';
import { FIELD } from '../otlp/schema.js';
import { REQUEST_MESSAGE } from '../otlp/signals.js';
import { LEN, WireReader } from '../otlp/wire-reader.js';
import { conversionFailure } from './conversion-failure.js';
import { countScopeItems } from './otlp-items.js';
import type { Signal } from './sink.js';
import { mergeRequests } from './signals.js';
import { anyValueTextAt } from './wire-values.js';

/**
 * One OTLP/JSON request holding every record's data, followed by `suffix` when given. A record
 * that does not decode fails it permanently (SINK_REJECTED); any other failure is retried.
 */
export function recordsAsJson(signal: Signal, records: readonly ConsumedRecord[], suffix?: Uint8Array): Buffer {
  try {
    return protoToJsonBytes(mergeRequests(records), REQUEST_MESSAGE[signal], suffix);
  } catch (err) {
    throw conversionFailure(signal, err);
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
 * items: one walk per resource entry, with the same two readers for the whole batch (records by
 * the thousand are summarized per second).
 */
export function summarizeRecords(signal: Signal, records: readonly ConsumedRecord[]): RecordsSummary {
  const summary: RecordsSummary = { items: 0, services: new Set() };
  const services = new ResourceServices();
  const entries = new WireReader(EMPTY, 0, 0);
  const inside = new WireReader(EMPTY, 0, 0);
  let lastService: string | undefined;
  for (const record of records) {
    if (record.valueSize <= 0) continue;
    const buf = record.valueBytes;
    const start = record.valueStart;
    try {
      entries.reset(buf, start, start + record.valueSize);
      while (entries.next()) {
        if (entries.field !== SIGNAL_FIELD.resourceEntries || entries.wireType !== LEN) continue;
        // A Resource{Spans,Metrics,Logs}: its resource and scope entries.
        const entryEnd = entries.valueEnd;
        inside.reset(buf, entries.valueStart, entryEnd);
        let resourceStart = -1;
        let resourceEnd = -1;
        while (inside.next()) {
          if (inside.wireType !== LEN) continue;
          if (inside.field === SIGNAL_FIELD.resource) {
            resourceStart = inside.valueStart;
            resourceEnd = inside.valueEnd;
          } else if (inside.field === SIGNAL_FIELD.scopeEntries) {
            const after = inside.pos;
            summary.items += countScopeItems(signal, inside, inside.valueStart, inside.valueEnd);
            inside.pos = after;
            inside.end = entryEnd;
          }
        }
        const service = services.of(buf, resourceStart, resourceEnd);
        if (service !== lastService) summary.services.add(service);
        lastService = service;
      }
    } catch (err) {
      throw conversionFailure(signal, err);
    }
  }
  return summary;
}

const EMPTY = new Uint8Array(0);

/** Resources up to this many bytes are compared byte by byte in JavaScript. */
const SHORT_RESOURCE = 256;

/**
 * `service.name` of resources, `unknown` where there is none. The records of one request repeat
 * their resource's bytes, so the last resource's are kept: the same bytes again name the same
 * service without walking their attributes.
 */
class ResourceServices {
  /** The last resource's bytes, `last[lastStart, lastEnd)`; at first none, whose service is unknown. */
  private last: Buffer = Buffer.alloc(0);
  private lastStart = 0;
  private lastEnd = 0;
  private lastService = 'unknown';

  /** The service of the resource in `buf[start, end)`; `start` -1 for an entry without one. */
  of(buf: Buffer, start: number, end: number): string {
    if (start < 0) return 'unknown';
    if (this.isLast(buf, start, end)) return this.lastService;
    this.last = buf;
    this.lastStart = start;
    this.lastEnd = end;
    this.lastService = serviceOf(buf, start, end) ?? 'unknown';
    return this.lastService;
  }

  /**
   * Whether `buf[start, end)` holds the last resource's bytes. Short resources are compared here:
   * Buffer#compare's checks and native call cost more than the loop, once per record.
   */
  private isLast(buf: Buffer, start: number, end: number): boolean {
    const length = end - start;
    if (length !== this.lastEnd - this.lastStart) return false;
    if (length > SHORT_RESOURCE) return buf.compare(this.last, this.lastStart, this.lastEnd, start, end) === 0;
    const last = this.last;
    const shift = this.lastStart - start;
    for (let i = start; i < end; i++) if (buf[i] !== last[i + shift]) return false;
    return true;
  }
}

const SERVICE_NAME = Buffer.from('service.name');

/** `service.name` among a Resource's attributes. Keys are compared as bytes: only the one value is made a string. */
function serviceOf(buf: Uint8Array, start: number, end: number): string | undefined {
  let service: string | undefined;
  const attributes = new WireReader(buf, start, end);
  while (attributes.next()) {
    if (attributes.field !== FIELD.Resource.attributes || attributes.wireType !== LEN) continue;
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
    if (kv.field === FIELD.KeyValue.key) named = isServiceName(buf, kv.valueStart, kv.valueEnd);
    else if (kv.field === FIELD.KeyValue.value) [valueStart, valueEnd] = [kv.valueStart, kv.valueEnd];
  }
  if (!named) return undefined;
  return valueStart < 0 ? '' : anyValueTextAt(buf, valueStart, valueEnd);
}

function isServiceName(buf: Uint8Array, start: number, end: number): boolean {
  if (end - start !== SERVICE_NAME.length) return false;
  for (let i = 0; i < SERVICE_NAME.length; i++) if (buf[start + i] !== SERVICE_NAME[i]) return false;
  return true;
}
