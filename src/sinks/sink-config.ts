/** Runs on: a sink worker; the main thread also builds each sink once, to check its settings before start. */
import type { z } from 'zod';
import { describeIssue, keyPath } from '../config/issues.js';
import { ConfigError } from '../errors.js';

/**
 * Validates a sink's own keys; every problem is reported with its full config path, e.g.
 * `pipelines[0].sink.endpoint: expected a URL`, the first one's path also in `details.field`.
 * The `type` key belongs to the pipeline schema.
 */
export function parseSinkConfig<S extends z.ZodType>(schema: S, raw: Record<string, unknown>, path: string): z.output<S> {
  const { type: _type, ...own } = raw;
  const result = schema.safeParse(own);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => describeIssue(issue, path));
  throw new ConfigError(lines.join('\n'), { details: { issues: lines, field: keyPath(path, result.error.issues[0].path) } });
}
