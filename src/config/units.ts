// Runs on: main thread.
import { z } from 'zod';
import { keptAsSafeLong } from '../log/storage-limits.js';
import { MAX_TIMER_MS } from '../max-timer.js';

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const SIZE_UNITS: Record<string, number> = {
  b: 1,
  kb: 1_000,
  mb: 1_000_000,
  gb: 1_000_000_000,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  tib: 1024 ** 4,
};

function parseWithUnits(value: unknown, units: Record<string, number>): unknown {
  if (typeof value !== 'string') return value;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(value);
  if (!m) return value;
  const unit = m[2].toLowerCase() || Object.keys(units)[0];
  const factor = units[unit];
  return factor === undefined ? value : Math.round(Number(m[1]) * factor);
}

const durationMs = z.number({ error: 'expected a duration such as 500, "30s" or "7d"' }).int().nonnegative();
const sizeBytes = z.number({ error: 'expected a size such as 1048576, "64MiB" or "1GB"' }).int().nonnegative();

/** Milliseconds, given as a number or as a string such as `500ms`, `30s`, `7d`. */
export const duration = z.preprocess((v) => parseWithUnits(v, DURATION_UNITS), durationMs);

/** A topic's age (retention, segment age) as Kafka's longs: Long.MAX_VALUE is kept as 2^53 - 1 (keptAsSafeLong). */
export const topicAge = z.preprocess((v) => keptAsSafeLong(parseWithUnits(v, DURATION_UNITS)), durationMs);

/** A period the process sets a timer for: Node fires a longer one at once. */
export const timerPeriod = duration.pipe(z.number().max(MAX_TIMER_MS, { error: `expected at most ${MAX_TIMER_MS} ms (about 24 days)` }));

/** A timeout of a connection or a request: 0 would mean none, or fire at once, so it is refused. */
export const connectionTimeout = timerPeriod.refine((ms) => ms > 0, { error: 'expected a duration above 0, such as "10s"' });

/** Bytes, given as a number or as a string such as `64MiB`, `1GB`. */
export const byteSize = z.preprocess((v) => parseWithUnits(v, SIZE_UNITS), sizeBytes);

/** A topic's retained bytes as Kafka's longs: Long.MAX_VALUE is kept as 2^53 - 1 (keptAsSafeLong). */
export const topicSize = z.preprocess((v) => keptAsSafeLong(parseWithUnits(v, SIZE_UNITS)), sizeBytes);

/** `host:port`, with an IPv6 host in brackets. */
export const endpoint = z
  .string()
  .regex(/^(\[[0-9a-fA-F:.]+\]|[^\s:[\]]+):\d{1,5}$/, { error: 'expected host:port, such as 127.0.0.1:4318', abort: true })
  .refine((value) => splitEndpoint(value).port <= 65_535, { error: 'expected a port from 0 to 65535' });

export function splitEndpoint(value: string): { host: string; port: number } {
  const i = value.lastIndexOf(':');
  return { host: value.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(value.slice(i + 1)) };
}
