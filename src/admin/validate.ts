import type { Context } from 'hono';
import type { z } from 'zod';
import { TributaryError } from '../errors.js';

function describe(error: z.ZodError): string {
  return error.issues
    .map((i) => {
      const path = i.path.join('.') || '(body)';
      return i.code === 'unrecognized_keys' ? `${path}: unknown key ${i.keys.join(', ')}` : `${path}: ${i.message}`;
    })
    .join('; ');
}

/** Parses a JSON request body against a schema; INVALID_REQUEST names what is wrong. */
export async function parseBody<T extends z.ZodType>(c: Context, schema: T): Promise<z.infer<T>> {
  let raw: unknown;
  try {
    raw = await c.req.json();
  } catch (err) {
    throw new TributaryError('INVALID_REQUEST', 'the request body is not valid JSON', { cause: err });
  }
  const result = schema.safeParse(raw);
  if (!result.success) throw new TributaryError('INVALID_REQUEST', describe(result.error));
  return result.data;
}

export function parseQuery<T extends z.ZodType>(c: Context, schema: T): z.infer<T> {
  const result = schema.safeParse(c.req.query());
  if (!result.success) throw new TributaryError('INVALID_REQUEST', describe(result.error));
  return result.data;
}
