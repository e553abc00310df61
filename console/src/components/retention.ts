// Runs in: the browser (the web console).

/** Units a retention time is entered in. */
export const TIME_UNITS = { minutes: 60_000, hours: 3_600_000, days: 86_400_000 } as const;
export type TimeUnit = keyof typeof TIME_UNITS;

/**
 * A retention time from a form: blank leaves it unset, -1 keeps records forever, else a positive
 * number of `unit`s. Returns an error message for anything else.
 */
export function retentionMsOf(text: string, unit: TimeUnit): number | undefined | { error: string } {
  const trimmed = text.trim();
  if (trimmed === '') return undefined;
  const n = Number(trimmed);
  if (n === -1) return -1;
  if (!Number.isFinite(n) || n <= 0) return { error: 'expected a positive number, or -1 to keep records forever' };
  return Math.round(n * TIME_UNITS[unit]);
}
