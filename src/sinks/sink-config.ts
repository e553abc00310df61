/** Runs on: a sink worker; the main thread also builds each sink once, to check its settings before start. */
import type { z } from 'zod';
import { ConfigError } from '../errors.js';

function joinPath(base: string, path: readonly PropertyKey[]): string {
  let out = base;
  for (const key of path) out += typeof key === 'number' ? `[${key}]` : `.${String(key)}`;
  return out;
}

/**
 * Validates a sink's own keys; every problem is reported with its full config path, e.g.
 * `pipelines[0].sink.endpoint: expected a URL`. The `type` key belongs to the pipeline schema.
 */
export function parseSinkConfig<S extends z.ZodType>(schema: S, raw: Record<string, unknown>, path: string): z.output<S> {
  const { type: _type, ...own } = raw;
  const result = schema.safeParse(own);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => {
    const at = joinPath(path, issue.path);
    if (issue.code === 'unrecognized_keys') return `${at}: unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
    return `${at}: ${issue.message}`;
  });
  throw new ConfigError(lines.join('\n'), { details: { issues: lines } });
}
