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

/** Shows data arriving: one line per batch and signal on stdout, e.g. `traces items=12 services=cart,checkout`. */
export function createDebugSink(config: DebugSinkConfig, context: SinkContext, out: NodeJS.WritableStream = process.stdout): Sink {
  return {
    type: 'debug',
    async start() {},
    async export(batch: SinkBatch): Promise<ExportOutcome> {
      let items = 0;
      for (const { signal, label, records } of labelled(batch)) {
        const summary = summarizeRecords(signal, records);
        items += summary.items;
        const services = [...summary.services].sort().join(',');
        let text = `${context.pipeline} ${label} records=${records.length} items=${summary.items} services=${services}\n`;
        // Indented for a person reading stdout; the detailed view is for trying things out, not for load.
        if (config.verbosity === 'detailed') text += JSON.stringify(JSON.parse(recordsAsJson(signal, records).toString()), null, 2) + '\n';
        out.write(text);
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
