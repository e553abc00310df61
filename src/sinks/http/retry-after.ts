/** Runs on: a sink worker. */
/**
 * Milliseconds to wait from a `Retry-After` header (RFC 9110: delay-seconds or an HTTP date),
 * or undefined when it is absent or unreadable.
 */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
