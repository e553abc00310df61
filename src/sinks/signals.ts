/** Runs on: sink workers, and the main thread (the records API's otlp-json format, `tributary tail`). */
import { TributaryError } from '../errors.js';
import type { ConsumedRecord } from '../log/types.js';
import { DEFAULT_TOPICS, SIGNAL_HEADER, type TopicKind } from '../otlp/signals.js';
import { DLQ_HEADERS } from './runtime/dead-letter.js';
import type { Signal, SignalRecords } from './sink.js';

/** The default topics (docs/records.md) and the kind of record each one carries. */
const TOPIC_KINDS: Record<string, TopicKind> = {
  [DEFAULT_TOPICS.traces]: 'traces',
  [DEFAULT_TOPICS.metrics]: 'metrics',
  [DEFAULT_TOPICS.logs]: 'logs',
  [DEFAULT_TOPICS.events]: 'events',
};

const KINDS = new Set<string>(Object.values(TOPIC_KINDS));

/** Events travel as OTLP logs. */
const signalOfKind = (kind: TopicKind): Signal => (kind === 'events' ? 'logs' : kind);

/** The kind of a default topic's records; own keys only, so a topic named `constructor` is no default topic. */
function kindOfTopic(topic: string): TopicKind | undefined {
  return Object.hasOwn(TOPIC_KINDS, topic) ? TOPIC_KINDS[topic] : undefined;
}

export function signalOfTopic(topic: string): Signal | undefined {
  const kind = kindOfTopic(topic);
  return kind && signalOfKind(kind);
}

/** The otlp-signal header's values as bytes, compared as they lie (a string decode per record costs more). */
const KIND_BYTES = [...KINDS].map((kind) => [Buffer.from(kind), kind as TopicKind] as const);

function kindOfHeader(value: Buffer): TopicKind | undefined {
  for (const [bytes, kind] of KIND_BYTES) if (value.equals(bytes)) return kind;
  return undefined;
}

/**
 * What a record holds: from its otlp-signal header, else from the default topic it came from, or,
 * for a dead letter, the one it was first read from (records a Kafka producer wrote have no header).
 */
export function kindOfRecord(record: ConsumedRecord): TopicKind {
  const header = record.headers.find((h) => h.key === SIGNAL_HEADER);
  const fromHeader = header && kindOfHeader(header.value);
  if (fromHeader) return fromHeader;
  const original = kindOfTopic(record.topic) ? undefined : record.headers.find((h) => h.key === DLQ_HEADERS.topic);
  const kind = kindOfTopic(original ? original.value.toString() : record.topic);
  if (kind) return kind;
  throw new TributaryError('INVALID_RECORD', `cannot tell the OTLP signal of a record in topic ${record.topic}: no ${SIGNAL_HEADER} header`);
}

/** The OTLP message a record's value decodes as. */
export function signalOfRecord(record: ConsumedRecord): Signal {
  return signalOfKind(kindOfRecord(record));
}

/** Groups records by signal, keeping offset order inside each group. */
export function groupBySignal(records: readonly ConsumedRecord[]): SignalRecords[] {
  const groups = new Map<Signal, ConsumedRecord[]>();
  // Records decoded together share their headers array (src/log/record-batch.ts): its signal is read once.
  let lastHeaders: readonly unknown[] | undefined;
  let lastTopic = '';
  let list: ConsumedRecord[] = [];
  for (const record of records) {
    if (record.headers !== lastHeaders || record.topic !== lastTopic) {
      const signal = signalOfRecord(record);
      lastHeaders = record.headers;
      lastTopic = record.topic;
      let group = groups.get(signal);
      if (!group) {
        group = [];
        groups.set(signal, group);
      }
      list = group;
    }
    list.push(record);
  }
  return [...groups].map(([signal, list]) => ({ signal, records: list }));
}

/**
 * One Export*ServiceRequest holding every record's data. Each value is such a request whose only
 * field is the repeated resource entry (field 1); concatenated protobuf messages merge, and
 * repeated fields concatenate, so the bytes laid end to end are the merged request. Written into
 * `allocate(size)` when given (memory the caller reuses).
 */
export function mergeRequests(records: readonly ConsumedRecord[], allocate: (size: number) => Buffer = Buffer.allocUnsafe): Buffer {
  let size = 0;
  for (const r of records) if (r.valueSize > 0) size += r.valueSize;
  const out = allocate(size);
  let pos = 0;
  for (const r of records) {
    if (r.valueSize <= 0) continue;
    // A plain Uint8Array view of the bytes where they lie: cheaper than the value's Buffer.
    const bytes = r.valueBytes;
    out.set(new Uint8Array(bytes.buffer, bytes.byteOffset + r.valueStart, r.valueSize), pos);
    pos += r.valueSize;
  }
  return out;
}
