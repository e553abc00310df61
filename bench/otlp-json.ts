// Runs on: main thread of the benchmark process.
/**
 * The OTLP/JSON writer of the file, webhook and debug sinks alone, on this thread: µs per span to
 * write one sink batch (1,000 records of one 5-span trace each, merged as the sinks merge them)
 * as OTLP/JSON bytes. The best of several rounds, since a shared machine only ever adds time.
 * `bench:sinks` measures the same writer inside a pipeline, with everything around it.
 *
 *   npm run build && node dist/bench/otlp-json.js [--records 1000] [--spans 5] [--rounds 15]
 */
import { parseArgs } from 'node:util';
import { protoToJsonBytes } from '../src/otlp/proto-to-json-bytes.js';
import { tracesRequest } from './lib/otlp-payloads.js';
import { round } from './lib/stats.js';

const { values: args } = parseArgs({
  options: {
    records: { type: 'string', default: '1000' },
    spans: { type: 'string', default: '5' },
    rounds: { type: 'string', default: '15' },
  },
});
const RECORDS = Number(args.records);
const SPANS = Number(args.spans);
const CALLS = 40;

const templates = Array.from({ length: 200 }, (_, i) => tracesRequest(1, SPANS, i));
const batch = Buffer.concat(Array.from({ length: RECORDS }, (_, i) => templates[i % templates.length]));
const spans = RECORDS * SPANS;
const jsonBytes = protoToJsonBytes(batch, 'ExportTraceServiceRequest').length;

let best = Number.POSITIVE_INFINITY;
for (let r = 0; r < Number(args.rounds); r++) {
  const start = process.hrtime.bigint();
  for (let i = 0; i < CALLS; i++) protoToJsonBytes(batch, 'ExportTraceServiceRequest');
  best = Math.min(best, Number(process.hrtime.bigint() - start) / 1000 / CALLS / spans);
}
const result = { spans, protobufBytes: batch.length, jsonBytes, usPerSpan: round(best, 3), spansPerSec: Math.round(1e6 / best) };
console.log(`OTLP/JSON writer: ${result.usPerSpan} µs per span (${result.spansPerSec} spans/s on one thread), ${batch.length} → ${jsonBytes} bytes`);
console.log(JSON.stringify(result));
