import { TributaryError } from '../errors.js';
import type { ConsumedRecord } from '../log/types.js';
import { DEFAULT_TOPICS, SIGNAL_HEADER } from '../otlp/signals.js';
import type { Signal, SignalRecords } from './sink.js';

/** The default topics (DESIGN.md "Signals, topics, records") and the signal each one carries; events are logs. */
const TOPIC_SIGNALS: Record<string, Signal> = {
  [DEFAULT_TOPICS.traces]: 'traces',
  [DEFAULT_TOPICS.metrics]: 'metrics',
  [DEFAULT_TOPICS.logs]: 'logs',
  [DEFAULT_TOPICS.events]: 'logs',
};


const SIGNALS = new Set<string>(['traces', 'metrics', 'logs']);

export function signalOfTopic(topic: string): Signal | undefined {
  return TOPIC_SIGNALS[topic];
}

export function signalOfRecord(record: ConsumedRecord): Signal {
  const header = record.headers.find((h) => h.key === SIGNAL_HEADER)?.value.toString();
  if (header && SIGNALS.has(header)) return header as Signal;
  const signal = signalOfTopic(record.topic);
  if (signal) return signal;
  throw new TributaryError('INVALID_RECORD', `cannot tell the OTLP signal of a record in topic ${record.topic}: no ${SIGNAL_HEADER} header`);
}

/** Groups records by signal, keeping offset order inside each group. */
export function groupBySignal(records: readonly ConsumedRecord[]): SignalRecords[] {
  const groups = new Map<Signal, ConsumedRecord[]>();
  for (const record of records) {
    const signal = signalOfRecord(record);
    const list = groups.get(signal);
    if (list) list.push(record);
    else groups.set(signal, [record]);
  }
  return [...groups].map(([signal, list]) => ({ signal, records: list }));
}

/**
 * One Export*ServiceRequest holding every record's data. Each value is such a request whose only
 * field is the repeated resource entry (field 1); concatenated protobuf messages merge, and
 * repeated fields concatenate, so the bytes laid end to end are the merged request.
 */
export function mergeRequests(records: readonly ConsumedRecord[]): Buffer {
  return Buffer.concat(records.map((r) => r.value ?? Buffer.alloc(0)));
}
