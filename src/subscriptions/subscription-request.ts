/**
 * Runs on: main thread.
 *
 * What `POST /api/v1/pipelines` takes: a pipeline with the keys and validation of one in the
 * config file, plus `start`, where a new subscription begins reading. Every problem names the
 * request's field (`sink.endpoint`, `topics[1]`), in the message and in `details.field`.
 */
import { z } from 'zod';
import { describeIssue, keyPath } from '../config/issues.js';
import { type PipelineConfig, pipelineSchema } from '../config/schema.js';
import { TributaryError } from '../errors.js';
import type { OffsetResetTarget } from '../groups/types.js';

/** `earliest` replays everything retained, `latest` only what comes after, `{ timestamp }` from a moment (ms since the epoch, or ISO-8601). */
const startSchema = z.union(
  [
    z.enum(['earliest', 'latest']),
    z.strictObject({
      timestamp: z.union([z.number().int().nonnegative(), z.iso.datetime({ offset: true }).transform((s) => Date.parse(s))]),
    }),
  ],
  { error: 'expected "earliest", "latest" or { "timestamp": ms since the epoch or an ISO-8601 time }' },
);

export type SubscriptionStart = z.infer<typeof startSchema>;

const requestSchema = pipelineSchema.extend({ start: startSchema.optional() });

export interface SubscriptionRequest {
  pipeline: PipelineConfig;
  /** The pipeline as the request gave it, without `start`: what is stored and restored. */
  given: Record<string, unknown>;
  start: SubscriptionStart | undefined;
}

/** A field's problem: INVALID_REQUEST with the field's dotted path in `details.field`. */
export function fieldError(field: string, message: string): TributaryError {
  return new TributaryError('INVALID_REQUEST', `${field}: ${message}`, { details: { field } });
}

export function parseSubscriptionRequest(body: unknown): SubscriptionRequest {
  const result = requestSchema.safeParse(body);
  if (!result.success) {
    const [first] = result.error.issues;
    const message = result.error.issues.map((issue) => describeIssue(issue, '', '(body)')).join('; ');
    const field = first.code === 'unrecognized_keys' ? keyPath('', [...first.path, first.keys[0]]) : keyPath('', first.path);
    throw new TributaryError('INVALID_REQUEST', message, { details: field ? { field } : {} });
  }
  const { start, ...pipeline } = result.data;
  const { start: _start, ...given } = body as Record<string, unknown>;
  return { pipeline, given, start };
}

export function resetTargetOf(start: SubscriptionStart): OffsetResetTarget {
  return typeof start === 'string' ? { type: start } : { type: 'timestamp', timestamp: start.timestamp };
}
