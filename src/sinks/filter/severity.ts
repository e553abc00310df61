/**
 * Runs on: a sink worker (the filter), and the main thread (the config schema checks a level with it).
 *
 * OTLP log severities: the SeverityNumber of a LogRecord, 1-24, in six ranges of four whose first
 * numbers carry the names below; 0 means the sender did not say.
 */
export const SEVERITY_NAMES: Readonly<Record<string, number>> = { TRACE: 1, DEBUG: 5, INFO: 9, WARN: 13, ERROR: 17, FATAL: 21 };

const MAX_SEVERITY = 24;

/** The SeverityNumber a `min_severity` setting stands for: a name (any case) or 1-24; undefined for anything else. */
export function severityLevel(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isInteger(value) && value >= 1 && value <= MAX_SEVERITY ? value : undefined;
  return Object.hasOwn(SEVERITY_NAMES, value.toUpperCase()) ? SEVERITY_NAMES[value.toUpperCase()] : undefined;
}
