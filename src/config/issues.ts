/**
 * Runs on: main thread and sink workers (pure functions).
 * How a validation issue is written for people: the full key path, e.g. `pipelines[0].sink.path`,
 * then what was wrong or expected. Config files, sink blocks and admin requests all use it.
 */
import type { z } from 'zod';

/** A problem found by a check across keys: the path of the key to name, and what is wrong with it. */
export interface KeyProblem {
  path: (string | number)[];
  message: string;
}

/** `base` followed by the issue's path: numbers as `[i]`, keys as `.key`. */
export function keyPath(base: string, path: readonly PropertyKey[]): string {
  let out = base;
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out;
}

/** One line per issue: `path: message`, or `path: unknown key "k"`; `top` names an empty path. */
export function describeIssue(issue: z.core.$ZodIssue, base = '', top = '(top level)'): string {
  const path = keyPath(base, issue.path) || top;
  if (issue.code === 'unrecognized_keys') {
    return `${path}: unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  }
  return `${path}: ${issue.message}`;
}
