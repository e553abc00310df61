/** Runs on: a sink worker. */
/**
 * OpenTelemetry-to-Prometheus naming (OpenTelemetry specification, "Prometheus and OpenMetrics
 * Compatibility"): invalid characters become `_`, the unit becomes a suffix, monotonic sums end
 * in `_total`.
 */

/** UCUM units as OpenTelemetry uses them, and the words Prometheus suffixes use for them. */
const UNIT_WORDS: Record<string, string> = {
  d: 'days',
  h: 'hours',
  min: 'minutes',
  s: 'seconds',
  ms: 'milliseconds',
  us: 'microseconds',
  ns: 'nanoseconds',
  By: 'bytes',
  KiBy: 'kibibytes',
  MiBy: 'mebibytes',
  GiBy: 'gibibytes',
  TiBy: 'tibibytes',
  KBy: 'kilobytes',
  MBy: 'megabytes',
  GBy: 'gigabytes',
  TBy: 'terabytes',
  m: 'meters',
  V: 'volts',
  A: 'amperes',
  J: 'joules',
  W: 'watts',
  g: 'grams',
  Cel: 'celsius',
  Hz: 'hertz',
  '%': 'percent',
};

const PER_UNIT_WORDS: Record<string, string> = { s: 'second', m: 'minute', h: 'hour', d: 'day', w: 'week', mo: 'month', y: 'year' };

function sanitize(text: string): string {
  return text.replace(/[^a-zA-Z0-9_:]+/g, '_').replace(/_{2,}/g, '_');
}

/** `ms` → `milliseconds`, `By/s` → `bytes_per_second`, `{request}` → nothing, `1` → `ratio` for gauges. */
export function unitSuffix(unit: string, isGauge: boolean): string {
  const plain = unit.replace(/\{[^}]*\}/g, '').trim();
  if (plain === '') return '';
  if (plain === '1') return isGauge ? 'ratio' : '';
  const [main, per] = plain.split('/', 2);
  const words = [main ? (UNIT_WORDS[main] ?? main) : ''];
  if (per) words.push('per', PER_UNIT_WORDS[per] ?? UNIT_WORDS[per] ?? per);
  return sanitize(words.filter(Boolean).join('_')).replace(/^_+|_+$/g, '');
}

export type PromKind = 'gauge' | 'counter' | 'histogram' | 'summary';

/** The Prometheus metric name of an OpenTelemetry metric (before `_bucket`/`_sum`/`_count`). */
export function metricName(name: string, unit: string, kind: PromKind): string {
  let out = sanitize(name);
  if (/^[0-9]/.test(out)) out = '_' + out;
  const suffix = unitSuffix(unit, kind === 'gauge');
  // A counter's name may already end in _total; the unit goes before it.
  if (kind === 'counter') out = out.replace(/_total$/, '');
  if (suffix && !out.endsWith(`_${suffix}`)) out = `${out}_${suffix}`;
  if (kind === 'counter') out += '_total';
  return out;
}

/** A label name from an attribute key: invalid characters become `_`; a leading digit gets `key_`. */
export function labelName(key: string): string {
  let out = key.replace(/[^a-zA-Z0-9_]/g, '_');
  if (/^[0-9]/.test(out)) out = 'key_' + out;
  else if (out.startsWith('_') && !out.startsWith('__')) out = 'key' + out;
  return out;
}
