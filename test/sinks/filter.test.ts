import { context, trace } from '@opentelemetry/api';
import { ProtobufLogsSerializer, ProtobufMetricsSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemoryLogRecordExporter, LoggerProvider, type ReadableLogRecord, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { BasicTracerProvider, InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { pipelineFilterSchema } from '../../src/config/pipeline-filter.js';
import { RecordView } from '../../src/log/record-view.js';
import type { ConsumedRecord } from '../../src/log/types.js';
import { protoToJson } from '../../src/otlp/proto-to-json.js';
import { DEFAULT_TOPICS, type Signal } from '../../src/otlp/signals.js';
import { RecordFilter } from '../../src/sinks/filter/record-filter.js';
import { makeMetrics, makeSpans, serviceResource } from '../otlp/fixtures.js';
import { store } from '../otlp/stored.js';

const PARTITIONS = { traces: 1, metrics: 1, logs: 1, events: 1 };

/** The records the receiver stores for an OTLP/protobuf request, as a sink worker polls them. */
function received(signal: Signal, body: Uint8Array, tenant?: string): ConsumedRecord[] {
  const stored = store({ signal, format: 'protobuf', encoding: 'identity', body, maxBytes: 1 << 24, partitions: PARTITIONS, tenant });
  return stored.records.map((r, offset) =>
    RecordView.of({
      topic: DEFAULT_TOPICS[r.topic],
      partition: r.partition,
      offset,
      timestamp: Date.now(),
      key: Buffer.from(r.key),
      value: r.value,
      headers: r.headers,
    }),
  );
}

/** A filter as a pipeline's `filter` block (YAML shape) compiles. */
function filter(block: Record<string, unknown>): RecordFilter {
  const compiled = RecordFilter.compile(pipelineFilterSchema.parse(block));
  if (!compiled) throw new Error('no filter compiled');
  return compiled;
}

/** A trace whose root span is in service `checkout` and whose child span is in `payment`: two resources, one record. */
function crossServiceTrace(): ReadableSpan[] {
  const exporter = new InMemorySpanExporter();
  const provider = (service: string) =>
    new BasicTracerProvider({ resource: serviceResource(service), spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const root = provider('checkout').getTracer('web').startSpan('POST /checkout');
  const child = provider('payment').getTracer('rpc').startSpan('charge', {}, trace.setSpan(context.active(), root));
  child.end();
  root.end();
  return exporter.getFinishedSpans();
}

const SEVERITIES = [0, 1, 5, 9, 12, 13, 16, 17, 21, 24];

/** Log records of every severity (0: unspecified) from two loggers (scopes); `events` with an event name. */
function leveledLogs(options: { service?: string; events?: boolean } = {}): ReadableLogRecord[] {
  const exporter = new InMemoryLogRecordExporter();
  const provider = new LoggerProvider({ resource: serviceResource(options.service ?? 'checkout'), processors: [new SimpleLogRecordProcessor({ exporter })] });
  for (const scope of ['http', 'db']) {
    const logger = provider.getLogger(scope);
    for (const severityNumber of SEVERITIES) {
      logger.emit({ body: `${scope} ${severityNumber}`, severityNumber, attributes: { scope }, ...(options.events ? { eventName: 'cart.checkout' } : {}) });
    }
  }
  return exporter.getFinishedLogRecords();
}

type LogsJson = { resourceLogs: { resource: unknown; scopeLogs: { scope: unknown; logRecords: { body: { stringValue: string } }[] }[] }[] };
const logsJson = (value: Uint8Array) => protoToJson(value, 'ExportLogsServiceRequest') as unknown as LogsJson;
const bodies = (value: Uint8Array) => logsJson(value).resourceLogs.flatMap((r) => r.scopeLogs.flatMap((s) => s.logRecords.map((l) => l.body.stringValue)));

describe('pipeline filter', () => {
  it('keeps a trace that spans several resources whole when one of them matches, and leaves it out when none does', () => {
    const [record] = received('traces', ProtobufTraceSerializer.serializeRequest(crossServiceTrace())!);
    const json = protoToJson(record.value!, 'ExportTraceServiceRequest') as { resourceSpans: unknown[] };
    expect(json.resourceSpans).toHaveLength(2);

    const payment = filter({ resource: { 'service.name': ['payment'] } }).apply([record]);
    expect(payment).toEqual({ kept: [record], filtered: 0, removedItems: 0 });
    // Kept whole: the same record, the checkout resource and its span included.
    expect(payment.kept[0]).toBe(record);

    expect(filter({ resource: { 'service.name': ['inventory', 'shipping'] } }).apply([record])).toEqual({ kept: [], filtered: 1, removedItems: 0 });
    // Every key must hold in one resource: checkout's service.name with payment's nothing else does not mix.
    expect(filter({ resource: { 'service.name': ['checkout'], 'host.name': ['test-host'] } }).apply([record]).kept).toHaveLength(1);
    expect(filter({ resource: { 'service.name': ['checkout'], 'host.name': ['other-host'] } }).apply([record]).kept).toHaveLength(0);
  });

  it('passes the records of one service out of many', () => {
    const body = ProtobufTraceSerializer.serializeRequest([
      ...makeSpans({ service: 'checkout', traces: 3, spansPerTrace: 2 }),
      ...makeSpans({ service: 'payment', traces: 4, spansPerTrace: 2 }),
      ...makeSpans({ service: 'search', traces: 5, spansPerTrace: 2 }),
    ])!;
    const records = received('traces', body);
    expect(records).toHaveLength(12);
    const { kept, filtered } = filter({ resource: { 'service.name': ['checkout', 'payment'] } }).apply(records);
    expect(kept).toHaveLength(7);
    expect(filtered).toBe(5);
    for (const r of kept) expect(r.value!.includes('search')).toBe(false);
  });

  it('compares int and bool attribute values by their text', () => {
    const resource = resourceFromAttributes({ 'service.name': 'checkout', 'deployment.shard': 3, canary: true, ratio: 0.5 });
    const exporter = new InMemoryLogRecordExporter();
    const provider = new LoggerProvider({ resource, processors: [new SimpleLogRecordProcessor({ exporter })] });
    provider.getLogger('app').emit({ body: 'hello', severityNumber: 9 });
    const records = received('logs', ProtobufLogsSerializer.serializeRequest(exporter.getFinishedLogRecords())!);
    expect(records).toHaveLength(1);

    // YAML `[3]` and `["3"]` alike; `true` and "true" alike.
    for (const values of [[3], ['3']]) expect(filter({ resource: { 'deployment.shard': values } }).apply(records).kept).toHaveLength(1);
    for (const values of [[true], ['true']]) expect(filter({ resource: { canary: values } }).apply(records).kept).toHaveLength(1);
    expect(filter({ resource: { ratio: [0.5] } }).apply(records).kept).toHaveLength(1);
    expect(filter({ resource: { 'deployment.shard': [4] } }).apply(records).kept).toHaveLength(0);
    expect(filter({ resource: { canary: [false] } }).apply(records).kept).toHaveLength(0);
    // A value of another type never matches by accident: the string "checkout" is not the int 3.
    expect(filter({ resource: { 'service.name': [3] } }).apply(records).kept).toHaveLength(0);
    // A key the resource lacks never matches.
    expect(filter({ resource: { 'k8s.namespace.name': ['prod'] } }).apply(records).kept).toHaveLength(0);
  });

  it("passes only the tenants listed, by the record's tenant header; a record with no tenant fails", () => {
    const body = ProtobufTraceSerializer.serializeRequest(makeSpans({ traces: 1, spansPerTrace: 1 }))!;
    const [a] = received('traces', body, 'team-a');
    const [b] = received('traces', body, 'team-b');
    const [none] = received('traces', body);
    expect(filter({ tenants: ['team-a'] }).apply([a, b, none])).toEqual({ kept: [a], filtered: 2, removedItems: 0 });
    expect(filter({ tenants: ['team-b', 'team-a'] }).apply([a, b, none]).kept).toEqual([a, b]);
  });

  it('passes only the signals listed, by the otlp-signal header: events apart from logs', async () => {
    const records = [
      ...received('traces', ProtobufTraceSerializer.serializeRequest(makeSpans({ traces: 1, spansPerTrace: 1 }))!),
      ...received('metrics', ProtobufMetricsSerializer.serializeRequest(await makeMetrics({ series: 1 }))!),
      ...received('logs', ProtobufLogsSerializer.serializeRequest([...leveledLogs(), ...leveledLogs({ events: true })])!),
    ];
    const kinds = (rs: ConsumedRecord[]) => rs.map((r) => r.headers.find((h) => h.key === 'otlp-signal')!.value.toString()).sort();
    expect(kinds(records)).toEqual(['events', 'logs', 'metrics', 'traces']);
    expect(kinds(filter({ signals: ['traces', 'events'] }).apply(records).kept)).toEqual(['events', 'traces']);
    expect(kinds(filter({ signals: ['logs'] }).apply(records).kept)).toEqual(['logs']);
    expect(filter({ signals: ['metrics'] }).apply(records).filtered).toBe(3);
  });

  it('trims a logs record to the log records at min_severity or above: the value decodes to exactly those, resource and scopes as sent', () => {
    const logs = leveledLogs();
    const [record] = received('logs', ProtobufLogsSerializer.serializeRequest(logs)!);
    const { kept, filtered, removedItems } = filter({ min_severity: 'warn' }).apply([record]);
    expect(filtered).toBe(0);
    expect(kept).toHaveLength(1);
    const keptLogs = logs.filter((l) => (l.severityNumber ?? 0) >= 13);
    expect(removedItems).toBe(logs.length - keptLogs.length);
    // What an SDK would have sent with only the kept records: the same resource, scopes and records.
    expect(logsJson(kept[0].value!)).toEqual(logsJson(ProtobufLogsSerializer.serializeRequest(keptLogs)!));
    expect(bodies(kept[0].value!)).toEqual(['http 13', 'http 16', 'http 17', 'http 21', 'http 24', 'db 13', 'db 16', 'db 17', 'db 21', 'db 24']);
    // The polled record is left as it was: its offset is committed, its bytes shared with the batch.
    expect(bodies(record.value!)).toHaveLength(logs.length);
    expect(kept[0].offset).toBe(record.offset);
  });

  it('drops the scopes a level empties, and records with no log record left; severity 0 (unspecified) never passes', () => {
    const exporter = new InMemoryLogRecordExporter();
    const provider = new LoggerProvider({ resource: serviceResource('checkout'), processors: [new SimpleLogRecordProcessor({ exporter })] });
    provider.getLogger('quiet').emit({ body: 'debug', severityNumber: 5 });
    provider.getLogger('loud').emit({ body: 'error', severityNumber: 17 });
    provider.getLogger('quiet').emit({ body: 'unspecified' });
    const [record] = received('logs', ProtobufLogsSerializer.serializeRequest(exporter.getFinishedLogRecords())!);

    const error = filter({ min_severity: 'ERROR' }).apply([record]);
    expect(logsJson(error.kept[0].value!).resourceLogs[0].scopeLogs.map((s) => s.scope)).toEqual([{ name: 'loud' }]);
    expect(error.removedItems).toBe(2);
    expect(filter({ min_severity: 1 }).apply([record]).removedItems).toBe(1);
    expect(filter({ min_severity: 'fatal' }).apply([record])).toEqual({ kept: [], filtered: 1, removedItems: 0 });
  });

  it('trims a record holding several resources (as a Kafka client may write one): a resource left with nothing goes, the others keep their own records', () => {
    const quiet = leveledLogs({ service: 'quiet' }).filter((l) => (l.severityNumber ?? 0) < 13);
    const first = leveledLogs({ service: 'checkout' });
    const last = leveledLogs({ service: 'payment' });
    // Concatenated requests are one request holding every resource.
    const value = Buffer.concat([first, quiet, last].map((logs) => ProtobufLogsSerializer.serializeRequest(logs)!));
    const [record] = received('logs', ProtobufLogsSerializer.serializeRequest(first)!);
    const { kept, removedItems } = filter({ min_severity: 'WARN' }).apply([record.withValue(value)]);
    const keptLogs = [...first, ...last].filter((l) => (l.severityNumber ?? 0) >= 13);
    expect(logsJson(kept[0].value!)).toEqual(logsJson(ProtobufLogsSerializer.serializeRequest(keptLogs)!));
    expect(removedItems).toBe(first.length + quiet.length + last.length - keptLogs.length);
  });

  it('trims events too, and leaves traces and metrics alone', async () => {
    const span = received('traces', ProtobufTraceSerializer.serializeRequest(makeSpans({ traces: 1, spansPerTrace: 1 }))!);
    const metric = received('metrics', ProtobufMetricsSerializer.serializeRequest(await makeMetrics({ series: 1 }))!);
    const events = received('logs', ProtobufLogsSerializer.serializeRequest(leveledLogs({ events: true }))!);
    expect(events[0].headers.find((h) => h.key === 'otlp-signal')!.value.toString()).toBe('events');
    const { kept, removedItems } = filter({ min_severity: 21 }).apply([...span, ...metric, ...events]);
    expect(kept.slice(0, 2)).toEqual([...span, ...metric]);
    expect(bodies(kept[2].value!)).toEqual(['http 21', 'http 24', 'db 21', 'db 24']);
    expect(removedItems).toBe(16);
  });

  it('applies every condition given: tenant, signal, resource and severity together', () => {
    const teamA = received('logs', ProtobufLogsSerializer.serializeRequest(leveledLogs({ service: 'checkout' }))!, 'team-a');
    const otherService = received('logs', ProtobufLogsSerializer.serializeRequest(leveledLogs({ service: 'search' }))!, 'team-a');
    const teamB = received('logs', ProtobufLogsSerializer.serializeRequest(leveledLogs({ service: 'checkout' }))!, 'team-b');
    const f = filter({ tenants: ['team-a'], signals: ['logs'], resource: { 'service.name': ['checkout'] }, min_severity: 'ERROR' });
    const { kept, filtered } = f.apply([...teamA, ...otherService, ...teamB]);
    expect(filtered).toBe(2);
    expect(bodies(kept[0].value!)).toEqual(['http 17', 'http 21', 'http 24', 'db 17', 'db 21', 'db 24']);
  });

  it('never hides a record it cannot read: one with malformed bytes or no signal is passed on, for the delivery to refuse', () => {
    const [good] = received('logs', ProtobufLogsSerializer.serializeRequest(leveledLogs())!);
    const malformed = { ...good, value: Buffer.from([0x0a, 0x7f, 0x01]) };
    const unknownTopic = { ...good, topic: 'custom', headers: [] };
    const f = filter({ resource: { 'service.name': ['payment'] }, min_severity: 'WARN', signals: ['logs'] });
    expect(f.apply([good, malformed, unknownTopic])).toEqual({ kept: [malformed, unknownTopic], filtered: 1, removedItems: 0 });
    // A record with no value holds no resource: it does not pass a resource condition.
    expect(filter({ resource: { 'service.name': ['checkout'] } }).apply([{ ...good, value: null }]).filtered).toBe(1);
  });

  it('compiles to nothing without a condition, so delivery does no work for it', () => {
    expect(RecordFilter.compile(undefined)).toBeUndefined();
    expect(RecordFilter.compile(pipelineFilterSchema.parse({}))).toBeUndefined();
  });
});
