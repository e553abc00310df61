// Runs on: main thread of the benchmark process (the filter runs on this thread, as on a sink worker).
/**
 * What a pipeline filter costs on its sink worker, per record, beside what delivery already does
 * to every record (counting its items on the wire): records as the receiver stores them (one
 * trace of 5 spans; one resource of 50 log records of mixed severity), filtered by `resource`
 * (one service out of four), by `tenants`, and by `min_severity: WARN` (which rewrites every logs
 * record, about 40 % of its log records going). One thread, no I/O. Prints one JSON object on
 * its last line.
 *
 *   npm run bench:filter -- [--records 20000] [--rounds 5]
 */
import { parseArgs } from 'node:util';
import { ProtobufLogsSerializer } from '@opentelemetry/otlp-transformer';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { pipelineFilterSchema } from '../src/config/pipeline-filter.js';
import { RecordView } from '../src/log/record-view.js';
import type { ConsumedRecord } from '../src/log/types.js';
import { SIGNAL_HEADER } from '../src/otlp/signals.js';
import { RecordFilter } from '../src/sinks/filter/record-filter.js';
import { countItems } from '../src/sinks/otlp-items.js';
import { serviceResource } from '../test/otlp/fixtures.js';
import { tracesRequest } from './lib/otlp-payloads.js';
import { round } from './lib/stats.js';

const { values: args } = parseArgs({ options: { records: { type: 'string', default: '20000' }, rounds: { type: 'string', default: '5' } } });
const RECORDS = Number(args.records);
const ROUNDS = Number(args.rounds);

function record(kind: string, value: Buffer, offset: number): ConsumedRecord {
  const headers = [
    { key: SIGNAL_HEADER, value: Buffer.from(kind) },
    { key: 'tenant', value: Buffer.from(`team-${offset % 4}`) },
  ];
  return RecordView.of({ topic: kind === 'traces' ? 'otlp_spans' : 'otlp_logs', partition: 0, offset, timestamp: 0, key: null, value, headers });
}

function logsRequest(seed: number): Buffer {
  const exporter = new InMemoryLogRecordExporter();
  const provider = new LoggerProvider({ resource: serviceResource(`svc-${seed % 4}`), processors: [new SimpleLogRecordProcessor({ exporter })] });
  const logger = provider.getLogger('bench');
  for (let i = 0; i < 50; i++) logger.emit({ body: `request ${i} handled`, severityNumber: [5, 9, 13, 17, 21][i % 5], attributes: { 'http.route': `/r${i % 7}` } });
  return Buffer.from(ProtobufLogsSerializer.serializeRequest(exporter.getFinishedLogRecords())!);
}

/** Nanoseconds per record of `work` over `records`, the best of ROUNDS. */
function nsPerRecord(records: ConsumedRecord[], work: (records: ConsumedRecord[]) => void): number {
  let best = Number.POSITIVE_INFINITY;
  for (let r = 0; r < ROUNDS; r++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < records.length; i += 500) work(records.slice(i, i + 500));
    best = Math.min(best, Number(process.hrtime.bigint() - start) / records.length);
  }
  return round(best, 0);
}

const templates = { traces: [0, 1, 2, 3].map((s) => tracesRequest(1, 5, s)), logs: [0, 1, 2, 3].map(logsRequest) };
const traces = Array.from({ length: RECORDS }, (_, i) => record('traces', templates.traces[i % 4], i));
const logs = Array.from({ length: RECORDS }, (_, i) => record('logs', templates.logs[i % 4], i));
const filter = (block: Record<string, unknown>) => RecordFilter.compile(pipelineFilterSchema.parse(block))!;
const count = (signal: 'traces' | 'logs') => (rs: ConsumedRecord[]) => {
  for (const r of rs) countItems(signal, r.value!);
};
const apply = (f: RecordFilter) => (rs: ConsumedRecord[]) => void f.apply(rs);

const result = {
  records: RECORDS,
  traceRecordBytes: templates.traces[0].length,
  logsRecordBytes: templates.logs[0].length,
  nsPerRecord: {
    countItemsTraces: nsPerRecord(traces, count('traces')),
    resourceTraces: nsPerRecord(traces, apply(filter({ resource: { 'service.name': ['svc-1'] } }))),
    tenantsTraces: nsPerRecord(traces, apply(filter({ tenants: ['team-1'] }))),
    countItemsLogs: nsPerRecord(logs, count('logs')),
    resourceLogs: nsPerRecord(logs, apply(filter({ resource: { 'service.name': ['svc-1'] } }))),
    minSeverityLogs: nsPerRecord(logs, apply(filter({ min_severity: 'WARN' }))),
  },
};
console.log(JSON.stringify(result));
