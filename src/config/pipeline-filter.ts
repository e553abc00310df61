// Runs on: main thread.
import { z } from 'zod';
import { SEVERITY_NAMES, severityLevel } from '../sinks/filter/severity.js';

/**
 * A pipeline's `filter` block (docs/configuration.md): which records its sink receives. Every list
 * must hold something: an empty one would let nothing through, and a typo must never silently
 * drop a team's data.
 */
const nonEmptyList = <T extends z.ZodType>(item: T, one: string, many: string) =>
  z.array(item, { error: `expected a list of ${many}` }).min(1, { error: `expected at least one ${one}; leave the key out to filter nothing by it` });

/** Compared with the attribute's value as text: ints and bools by their text (`200`, `true`). */
const attributeValue = z.union([z.string(), z.number(), z.boolean()], { error: 'expected a string, number or boolean' });

const severityNames = Object.keys(SEVERITY_NAMES).join(', ');

export const pipelineFilterSchema = z.strictObject(
  {
    /** A record passes when one of its resources has, for each key, one of the values. */
    resource: z
      .record(z.string().min(1, { error: 'expected an attribute name' }), nonEmptyList(attributeValue, 'attribute value', 'attribute values'), {
        error: 'expected { attribute: [values] }',
      })
      .refine((keys) => Object.keys(keys).length > 0, { error: 'expected at least one attribute; leave the key out to filter nothing by it' })
      .optional(),
    /** The record's `tenant` header is one of these. */
    tenants: nonEmptyList(z.string().min(1, { error: 'expected a tenant name' }), 'tenant', 'tenants').optional(),
    /** Logs and events: only log records at this SeverityNumber or above. */
    min_severity: z
      .union([z.string(), z.number()], { error: `expected one of ${severityNames} (any case) or a severity number 1-24` })
      .refine((level) => severityLevel(level) !== undefined, { error: `expected one of ${severityNames} (any case) or a severity number 1-24` })
      .optional(),
    /** The kinds of record (the otlp-signal header) that pass. */
    signals: nonEmptyList(z.enum(['traces', 'metrics', 'logs', 'events']), 'signal', 'signals (traces, metrics, logs, events)').optional(),
  },
  { error: 'expected { resource?, tenants?, min_severity?, signals? }' },
);

export type PipelineFilter = z.infer<typeof pipelineFilterSchema>;
