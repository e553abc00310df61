// Runs on: ingest worker.
import { TributaryError } from '../errors.js';
import { MAX_NESTING_DEPTH, NestingTooDeepError } from './nesting.js';
import { type FieldSpec, type FieldType, isPackable, type MessageSpec, messageSpec, wireTypeOf } from './schema.js';
import { WireWriter } from './wire-writer.js';

/**
 * OTLP JSON (https://opentelemetry.io/docs/specs/otlp/#json-protobuf-encoding) to protobuf:
 * lowerCamelCase or snake_case names, hex trace/span ids, enums as integers or names, 64-bit
 * integers as strings or numbers, unknown fields ignored. Type errors, integers out of their
 * field's range and nesting past MAX_NESTING_DEPTH name the JSON path. Runs in ingest workers.
 */
export function jsonToProto(json: unknown, messageName: string): Uint8Array {
  const writer = new WireWriter(4096);
  writeMessage(writer, json, messageSpec(messageName), '', 0);
  return writer.finish();
}

/**
 * JSON.parse, except that integer literals too long for a double keep every digit (they become
 * strings, which the converter accepts for 64-bit fields): nanosecond timestamps sent as bare
 * numbers stay exact.
 */
export function parseOtlpJson(text: string): unknown {
  try {
    return JSON.parse(quoteLongIntegers(text));
  } catch (err) {
    throw new TributaryError('INVALID_REQUEST', `invalid JSON: ${(err as Error).message}`, { cause: err });
  }
}

/** Runs of 16 digits or more: integers a double may not hold exactly (2^53 has 16 digits). */
const LONG_DIGITS = /\d{16,}/g;
const BACKSLASH = 0x5c;
const MINUS = 0x2d;

/**
 * `text` with each integer literal of 16 digits or more outside strings put in quotes. One pass,
 * linear in the text whatever it holds: strings are skipped with `indexOf`, digit runs found by a
 * regex whose searches never cover the same text twice (a pattern that matched strings and
 * numbers together rescanned the rest of the body from every quote of an unterminated string).
 */
export function quoteLongIntegers(text: string): string {
  LONG_DIGITS.lastIndex = 0;
  let run = LONG_DIGITS.exec(text);
  if (run === null) return text;
  const parts: string[] = [];
  let copied = 0;
  /** Outside strings from here on; `quote` is the first quote at or after it (-1: none). */
  let pos = 0;
  let quote = text.indexOf('"');
  while (run !== null) {
    if (quote >= 0 && quote < run.index) {
      pos = stringEnd(text, quote);
      // An unterminated string: JSON.parse refuses the body anyway.
      if (pos < 0) break;
      quote = text.indexOf('"', pos);
      if (run.index < pos) {
        LONG_DIGITS.lastIndex = pos;
        run = LONG_DIGITS.exec(text);
      }
      continue;
    }
    const end = run.index + run[0].length;
    const start = run.index > 0 && text.charCodeAt(run.index - 1) === MINUS ? run.index - 1 : run.index;
    if (!(start > 0 && continuesNumber(text.charCodeAt(start - 1), true)) && !(end < text.length && continuesNumber(text.charCodeAt(end), false))) {
      parts.push(text.slice(copied, start), '"', text.slice(start, end), '"');
      copied = end;
    }
    pos = end;
    run = LONG_DIGITS.exec(text);
  }
  if (parts.length === 0) return text;
  parts.push(text.slice(copied));
  return parts.join('');
}

/** Where the string opened by the quote at `open` ends (after its closing quote), or -1. */
function stringEnd(text: string, open: number): number {
  let from = open + 1;
  for (;;) {
    const close = text.indexOf('"', from);
    if (close < 0) return -1;
    let backslashes = 0;
    while (text.charCodeAt(close - 1 - backslashes) === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return close + 1;
    from = close + 1;
  }
}

/**
 * Whether a character next to a digit run makes it part of a longer token than an integer: a
 * fraction or exponent (`.`, `e`, and before the run `+`, `-`), or a word.
 */
function continuesNumber(c: number, before: boolean): boolean {
  if (c === 0x2e || c === 0x5f || (c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a)) return true;
  return before && (c === 0x2b || c === MINUS);
}

function invalid(path: string, what: string): TributaryError {
  return new TributaryError('INVALID_REQUEST', `${path || 'body'}: ${what}`);
}

/** Writes `value` as `spec`, a message at level `depth` of the request. */
function writeMessage(w: WireWriter, value: unknown, spec: MessageSpec, path: string, depth: number): void {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalid(path, `expected a JSON object (${spec.name})`);
  const obj = value as Record<string, unknown>;
  for (const key in obj) {
    const field = spec.byName.get(key);
    const item = obj[key];
    if (!field || item === null || item === undefined) continue;
    const at = path ? `${path}.${key}` : key;
    if (!field.repeated) {
      writeField(w, field, item, at, depth);
      continue;
    }
    if (!Array.isArray(item)) throw invalid(at, 'expected an array');
    if (isPackable(field.type)) {
      if (item.length === 0) continue;
      w.begin(field.no);
      for (let i = 0; i < item.length; i++) writeScalar(w, field, item[i], `${at}[${i}]`);
      w.end();
    } else {
      for (let i = 0; i < item.length; i++) writeField(w, field, item[i], `${at}[${i}]`, depth);
    }
  }
}

function writeField(w: WireWriter, field: FieldSpec, value: unknown, path: string, depth: number): void {
  if (field.type === 'message') {
    if (depth >= MAX_NESTING_DEPTH) throw new NestingTooDeepError(shortPath(path));
    w.begin(field.no);
    writeMessage(w, value, field.spec!, path, depth + 1);
    w.end();
  } else {
    w.tag(field.no, wireTypeOf(field.type));
    writeScalar(w, field, value, path);
  }
}

function writeScalar(w: WireWriter, field: FieldSpec, value: unknown, path: string): void {
  switch (field.type) {
    case 'string':
      if (typeof value !== 'string') throw invalid(path, 'expected a string');
      w.string(value);
      return;
    case 'bytes':
      // Buffer.from skips what is not base64: checked first, so garbage is refused, not stored.
      if (typeof value !== 'string' || !BASE64.test(value) || value.replace(PADDING, '').length % 4 === 1) throw invalid(path, 'expected base64 bytes');
      w.bytes(Buffer.from(value, 'base64'));
      return;
    case 'id':
      // Not read as empty: a parent span id that is not hex would make its span a root. The
      // length is checked with the protobuf's (src/otlp/validate.ts), per item.
      if (typeof value !== 'string' || !HEX.test(value)) throw invalid(path, 'expected a hex id (OTLP/JSON writes trace and span ids in hex, not base64)');
      w.bytes(Buffer.from(value, 'hex'));
      return;
    case 'bool':
      if (typeof value !== 'boolean') throw invalid(path, 'expected true or false');
      w.uvarint(value ? 1 : 0);
      return;
    case 'enum':
      w.bigVarint(enumValue(field, value, path));
      return;
    case 'int32':
    case 'int64':
    case 'uint32':
    case 'uint64':
      w.bigVarint(integer(value, field.type, path));
      return;
    case 'sint32':
      w.zigzag32(Number(integer(value, field.type, path)));
      return;
    case 'fixed32':
      w.fixed32(Number(integer(value, field.type, path)));
      return;
    case 'fixed64':
    case 'sfixed64':
      w.fixed64(integer(value, field.type, path));
      return;
    case 'double':
      w.double(double(value, path));
      return;
    default:
      throw invalid(path, `unsupported field type ${field.type}`);
  }
}

const HEX = /^(?:[0-9a-fA-F]{2})*$/;
/** Base64 of either alphabet (protobuf's JSON mapping accepts both), padded or not. */
const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;
const PADDING = /=+$/;

/** The JSON path in an error, cut short: at the depth limit it runs to kilobytes. */
function shortPath(path: string): string {
  return path.length > 160 ? `${path.slice(0, 160)}…` : path;
}

const INT32: readonly [bigint, bigint] = [-(2n ** 31n), 2n ** 31n - 1n];
const UINT32: readonly [bigint, bigint] = [0n, 2n ** 32n - 1n];
const INT64: readonly [bigint, bigint] = [-(2n ** 63n), 2n ** 63n - 1n];
const UINT64: readonly [bigint, bigint] = [0n, 2n ** 64n - 1n];

/** What each integer type holds: a value outside is refused, never wrapped into another one. */
const RANGES: Partial<Record<FieldType, readonly [bigint, bigint]>> = {
  int32: INT32,
  sint32: INT32,
  enum: INT32,
  uint32: UINT32,
  fixed32: UINT32,
  int64: INT64,
  sfixed64: INT64,
  uint64: UINT64,
  fixed64: UINT64,
};

/** Decimal integers, leading zeros apart; 20 digits hold every 64-bit value. */
const DECIMAL = /^-?\d+$/;
const LEADING_ZEROS = /^(-?)0+(?=\d)/;
const MAX_DIGITS = 20;

function integer(value: unknown, type: FieldType, path: string): bigint {
  let n: bigint | undefined;
  if (typeof value === 'number') {
    if (Number.isInteger(value)) n = BigInt(value);
  } else if (typeof value === 'string' && DECIMAL.test(value)) {
    const digits = value.replace(LEADING_ZEROS, '$1');
    // Parsed only when short: BigInt of a long string costs more than linear time.
    if (digits.length > MAX_DIGITS + 1) throw outOfRange(path, type, `${digits.slice(0, MAX_DIGITS)}…`);
    n = BigInt(digits);
  }
  if (n === undefined) throw invalid(path, 'expected an integer (a number or a decimal string)');
  const [min, max] = RANGES[type]!;
  if (n < min || n > max) throw outOfRange(path, type, String(value));
  return n;
}

function outOfRange(path: string, type: FieldType, value: string): TributaryError {
  const [min, max] = RANGES[type]!;
  return invalid(path, `${value} does not fit ${type === 'enum' ? 'an enum' : type} (${min} to ${max})`);
}

function double(value: unknown, path: string): number {
  if (typeof value === 'number') return value;
  if (value === 'NaN') return Number.NaN;
  if (value === 'Infinity') return Number.POSITIVE_INFINITY;
  if (value === '-Infinity') return Number.NEGATIVE_INFINITY;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  throw invalid(path, 'expected a number');
}

function enumValue(field: FieldSpec, value: unknown, path: string): bigint {
  // Own names only: `constructor` and the like are not enum values.
  if (typeof value === 'string' && field.enumValues && Object.hasOwn(field.enumValues, value)) return BigInt(field.enumValues[value]);
  if ((typeof value === 'number' && Number.isInteger(value)) || (typeof value === 'string' && DECIMAL.test(value))) return integer(value, 'enum', path);
  throw invalid(path, `expected an enum value: an integer or one of ${Object.keys(field.enumValues ?? {}).join(', ')}`);
}
