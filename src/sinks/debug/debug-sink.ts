/** Runs on: a sink worker. */
import { z } from 'zod';
import { recordsAsJson, summarizeRecords } from '../otlp-text.js';
import { parseSinkConfig } from '../sink-config.js';
import { kindOfRecord } from '../signals.js';
import type { ConsumedRecord } from '../../log/types.js';
import type { ExportOutcome, Signal, Sink, SinkBatch, SinkContext, SinkFactory } from '../sink.js';

const configSchema = z.strictObject({
  /** basic: one summary line per batch and signal; detailed: the OTLP/JSON after it. */
  verbosity: z.enum(['basic', 'detailed']).default('basic'),
});

export type DebugSinkConfig = z.output<typeof configSchema>;

/** Events travel as log records; the summary names them apart, by the kind each record carries. */
interface LabelledRecords {
  signal: Signal;
  label: string;
  records: ConsumedRecord[];
}

function labelled(batch: SinkBatch): LabelledRecords[] {
  return batch.signals.flatMap(({ signal, records }): LabelledRecords[] => {
    if (signal !== 'logs') return [{ signal, label: signal, records }];
    const events = records.filter((r) => kindOfRecord(r) === 'events');
    const logs = records.filter((r) => kindOfRecord(r) !== 'events');
    return [
      { signal, label: 'logs', records: logs },
      { signal, label: 'events', records: events },
    ].filter((group) => group.records.length > 0);
  });
}

/**
 * Shows data arriving: one line per batch and signal on stdout, e.g. `traces items=12 services=cart,checkout`.
 * With TRIBUTARY_LOG_FORMAT=json each line is a JSON object as the logger writes them (the summary in
 * `message`, its figures as fields), so a collector that reads the process's output as JSON lines
 * is not broken by it.
 */
export function createDebugSink(
  config: DebugSinkConfig,
  context: SinkContext,
  out: NodeJS.WritableStream = process.stdout,
  json = process.env.TRIBUTARY_LOG_FORMAT === 'json',
): Sink {
  return {
    type: 'debug',
    async start() {},
    async export(batch: SinkBatch): Promise<ExportOutcome> {
      let items = 0;
      for (const { signal, label, records } of labelled(batch)) {
        const summary = summarizeRecords(signal, records);
        items += summary.items;
        const services = [...summary.services].sort();
        const message = `${context.pipeline} ${label} records=${records.length} items=${summary.items} services=${services.join(',')}`;
        const otlp = config.verbosity === 'detailed' ? JSON.parse(recordsAsJson(signal, records).toString()) : undefined;
        if (json) {
          const fields = { pipeline: context.pipeline, signal: label, records: records.length, items: summary.items, services, otlp };
          out.write(`${JSON.stringify({ time: new Date().toISOString(), level: 'info', name: 'tributary.sinks.debug', message, ...fields })}\n`);
        } else {
          // Indented for a person reading stdout; the detailed view is for trying things out, not for load.
          out.write(`${message}\n${otlp === undefined ? '' : `${JSON.stringify(otlp, null, 2)}\n`}`);
        }
      }
      return { items };
    },
    async shutdown() {},
  };
}

export const debugSinkFactory: SinkFactory = {
  type: 'debug',
  create: (raw, context) => createDebugSink(parseSinkConfig(configSchema, raw, context.path), context),
};
