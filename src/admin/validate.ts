// Runs on: main thread.
import type { Context } from 'hono';
import { z } from 'zod';
import { describeIssue, keyPath } from '../config/issues.js';
import { NAME_PATTERN } from '../config/schema.js';
import { TributaryError } from '../errors.js';

function describe(error: z.ZodError, top: string): string {
  return error.issues.map((issue) => describeIssue(issue, '', top)).join('; ');
}

/** The request's JSON body; INVALID_REQUEST when it is not JSON. */
export async function readJson(c: Context): Promise<unknown> {
  try {
    return await c.req.json();
  } catch (err) {
    throw new TributaryError('INVALID_REQUEST', 'the request body is not valid JSON', { cause: err });
  }
}

/** Parses a JSON request body against a schema; INVALID_REQUEST names what is wrong, and `details.field` the first bad field. */
export async function parseBody<T extends z.ZodType>(c: Context, schema: T): Promise<z.infer<T>> {
  const raw = await readJson(c);
  const result = schema.safeParse(raw);
  if (!result.success) {
    const [first] = result.error.issues;
    const field = keyPath('', first.code === 'unrecognized_keys' ? [...first.path, first.keys[0]] : first.path);
    throw new TributaryError('INVALID_REQUEST', describe(result.error, '(body)'), { details: field ? { field } : {} });
  }
  return result.data;
}

/** Parses the query string against a schema; INVALID_REQUEST names each bad parameter. */
export function parseQuery<T extends z.ZodType>(c: Context, schema: T): z.infer<T> {
  const result = schema.safeParse(c.req.query());
  if (!result.success) throw new TributaryError('INVALID_REQUEST', describe(result.error, 'query'));
  return result.data;
}

/**
 * A query parameter that must be a whole number in [min, max], written in plain decimal digits:
 * `1.5`, `12abc`, `-1`, `0x10`, `1e3` or an empty value are refused rather than read as something else.
 */
export function queryInteger(min: number, max: number) {
  return z.string().transform((text, ctx) => {
    const value = /^\d{1,16}$/.test(text) ? Number(text) : Number.NaN;
    if (value >= min && value <= max) return value;
    ctx.addIssue({ code: 'custom', message: `expected a whole number from ${min} to ${max}, not "${text}"` });
    return z.NEVER;
  });
}

/** A group name from the path: what Kafka allows, so it can never reach outside the data directory. */
export function groupNameParam(name: string): string {
  if (!NAME_PATTERN.test(name)) throw new TributaryError('INVALID_REQUEST', `invalid group name "${name}"`);
  return name;
}
