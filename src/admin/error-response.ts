// Runs on: main thread.
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { asTributaryError, type ErrorCode } from '../errors.js';

const STATUS: Partial<Record<ErrorCode, ContentfulStatusCode>> = {
  INVALID_REQUEST: 400,
  INVALID_TOPIC: 400,
  INVALID_RECORD: 400,
  CONFIG_INVALID: 400,
  UNAUTHENTICATED: 401,
  CROSS_ORIGIN: 403,
  HOST_NOT_ALLOWED: 403,
  UNKNOWN_TOPIC: 404,
  UNKNOWN_PARTITION: 404,
  UNKNOWN_GROUP: 404,
  UNKNOWN_PIPELINE: 404,
  TOPIC_EXISTS: 409,
  RECEIVER_TOPIC: 409,
  PIPELINE_TOPIC: 409,
  GROUP_NOT_EMPTY: 409,
  PIPELINE_EXISTS: 409,
  PIPELINE_LIMIT: 409,
  PIPELINE_READ_ONLY: 409,
  NO_PIPELINES_HERE: 409,
  OFFSET_OUT_OF_RANGE: 416,
  UNSUPPORTED_BY_CLUSTER: 501,
  BROKER_UNAVAILABLE: 503,
  SHUTTING_DOWN: 503,
  STORAGE_ERROR: 503,
  TIMEOUT: 504,
};

/** Seconds a client is asked to wait before retrying a 503. */
const RETRY_AFTER_SECONDS = 1;

/**
 * The admin API's error body: `{ "error": { "code", "message", "field"? } }` with the status the
 * code implies (`field`: the dotted path of the request's bad field, where one is to blame); an
 * error marked retriable that no code maps is a 503, and a 503 says when to retry.
 */
export function errorResponse(c: Context, err: unknown): Response {
  const e = asTributaryError(err);
  const status = STATUS[e.code] ?? (e.retriable ? 503 : 500);
  if (status === 503) c.header('Retry-After', String(RETRY_AFTER_SECONDS));
  const field = typeof e.details?.field === 'string' ? { field: e.details.field } : {};
  return c.json({ error: { code: e.code, message: e.message, ...field } }, status);
}
