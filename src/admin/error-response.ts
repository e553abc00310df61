import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { asTributaryError, type ErrorCode } from '../errors.js';

const STATUS: Partial<Record<ErrorCode, ContentfulStatusCode>> = {
  INVALID_REQUEST: 400,
  INVALID_TOPIC: 400,
  INVALID_RECORD: 400,
  CONFIG_INVALID: 400,
  UNAUTHENTICATED: 401,
  UNKNOWN_TOPIC: 404,
  UNKNOWN_PARTITION: 404,
  UNKNOWN_GROUP: 404,
  TOPIC_EXISTS: 409,
  GROUP_NOT_EMPTY: 409,
  OFFSET_OUT_OF_RANGE: 416,
  UNSUPPORTED_BY_CLUSTER: 501,
  BROKER_UNAVAILABLE: 503,
  SHUTTING_DOWN: 503,
  TIMEOUT: 504,
};

/** The admin API's error body: `{ "error": { "code", "message" } }` with the status the code implies. */
export function errorResponse(c: Context, err: unknown): Response {
  const e = asTributaryError(err);
  return c.json({ error: { code: e.code, message: e.message } }, STATUS[e.code] ?? 500);
}
