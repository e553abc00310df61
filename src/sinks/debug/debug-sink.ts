import { z } from 'zod';
import { decodeRecords } from '../otlp-decode.js';
import { mergeJsonRequests, type RequestSummary, summarize } from '../otlp-summary.js';
import { parseSinkConfig } from '../sink-config.js';
import type { ExportOutcome, Sink, SinkBatch, SinkContext, SinkFactory } from '../sink.js';

const configSchema = z.strictObject({
  /** basic: one summary line per batch and signal; detailed: the OTLP/JSON after it. */
  verbosity: z.enum(['basic', 'detailed']).default('basic'),
});

export type DebugSinkConfig = z.output<typeof configSchema>;

/** Shows data arriving: one line per batch and signal on stdout, e.g. `traces items=12 services=cart,checkout`. */
export function createDebugSink(config: DebugSinkConfig, context: SinkContext, out: NodeJS.WritableStream = process.stdout): Sink {
  return {
    type: 'debug',
    async start() {},
    async export(batch: SinkBatch): Promise<ExportOutcome> {
      for (const { signal, records } of batch.signals) {
        const requests = await decodeRecords(signal, records);
        const summary: RequestSummary = { items: 0, services: new Set() };
        for (const request of requests) summarize(signal, request, summary);
        const services = [...summary.services].sort().join(',');
        let text = `${context.pipeline} ${signal} records=${records.length} items=${summary.items} services=${services}\n`;
        if (config.verbosity === 'detailed') text += JSON.stringify(mergeJsonRequests(signal, requests), null, 2) + '\n';
        out.write(text);
      }
      return {};
    },
    async shutdown() {},
  };
}

export const debugSinkFactory: SinkFactory = {
  type: 'debug',
  create: (raw, context) => createDebugSink(parseSinkConfig(configSchema, raw, context.path), context),
};
