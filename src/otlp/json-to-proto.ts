import { TributaryError } from '../errors.js';
import { type FieldSpec, isPackable, type MessageSpec, messageSpec, wireTypeOf } from './schema.js';
import { WireWriter } from './wire-writer.js';

/**
 * OTLP JSON (https://opentelemetry.io/docs/specs/otlp/#json-protobuf-encoding) to protobuf:
 * lowerCamelCase or snake_case names, hex trace/span ids, enums as integers or names, 64-bit
 * integers as strings or numbers, unknown fields ignored. Type errors name the JSON path.
 */
export function jsonToProto(json: unknown, messageName: string): Uint8Array {
  const writer = new WireWriter(4096);
  writeMessage(writer, json, messageSpec(messageName), '');
  return writer.finish();
}

/**
 * JSON.parse, except that integer literals too long for a double keep every digit (they become
 * strings, which the converter accepts for 64-bit fields): nanosecond timestamps sent as bare
 * numbers stay exact. Strings are matched first so digits inside them are left alone.
 */
export function parseOtlpJson(text: string): unknown {
  const exact = /\d{16}/.test(text) ? text.replace(LONG_INTEGERS, (m, digits) => (digits ? `"${digits}"` : m)) : text;
  try {
    return JSON.parse(exact);
  } catch (err) {
    throw new TributaryError('INVALID_REQUEST', `invalid JSON: ${(err as Error).message}`, { cause: err });
  }
}

const LONG_INTEGERS = /"(?:[^"\\]|\\.)*"|(?<![\w.+-])(-?\d{16,})(?![\w.])/g;

function invalid(path: string, what: string): TributaryError {
  return new TributaryError('INVALID_REQUEST', `${path || 'body'}: ${what}`);
}

function writeMessage(w: WireWriter, value: unknown, spec: MessageSpec, path: string): void {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalid(path, `expected a JSON object (${spec.name})`);
  const obj = value as Record<string, unknown>;
  for (const key in obj) {
    const field = spec.byName.get(key);
    const item = obj[key];
    if (!field || item === null || item === undefined) continue;
    const at = path ? `${path}.${key}` : key;
    if (!field.repeated) {
      writeField(w, field, item, at);
      continue;
    }
    if (!Array.isArray(item)) throw invalid(at, 'expected an array');
    if (isPackable(field.type)) {
      if (item.length === 0) continue;
      w.begin(field.no);
      for (let i = 0; i < item.length; i++) writeScalar(w, field, item[i], `${at}[${i}]`);
      w.end();
    } else {
      for (let i = 0; i < item.length; i++) writeField(w, field, item[i], `${at}[${i}]`);
    }
  }
}

function writeField(w: WireWriter, field: FieldSpec, value: unknown, path: string): void {
  if (field.type === 'message') {
    w.begin(field.no);
    writeMessage(w, value, field.spec!, path);
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
      if (typeof value !== 'string') throw invalid(path, 'expected base64 bytes');
      w.bytes(Buffer.from(value, 'base64'));
      return;
    case 'id':
      if (typeof value !== 'string') throw invalid(path, 'expected a hex id');
      // Ids that are not hex become empty, so the item is rejected as invalid, not misread.
      w.bytes(/^(?:[0-9a-fA-F]{2})*$/.test(value) ? Buffer.from(value, 'hex') : EMPTY);
      return;
    case 'bool':
      if (typeof value !== 'boolean') throw invalid(path, 'expected true or false');
      w.uvarint(value ? 1 : 0);
      return;
    case 'enum':
      w.bigVarint(BigInt(enumValue(field, value, path)));
      return;
    case 'int32':
    case 'int64':
    case 'uint32':
    case 'uint64':
      w.bigVarint(integer(value, path));
      return;
    case 'sint32': {
      const n = Number(integer(value, path));
      w.zigzag32(n);
      return;
    }
    case 'fixed32':
      w.fixed32(Number(integer(value, path)));
      return;
    case 'fixed64':
    case 'sfixed64':
      w.fixed64(integer(value, path));
      return;
    case 'double':
      w.double(double(value, path));
      return;
    default:
      throw invalid(path, `unsupported field type ${field.type}`);
  }
}

const EMPTY = new Uint8Array(0);

function integer(value: unknown, path: string): bigint {
  if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value);
  if (typeof value === 'string' && /^-?\d{1,20}$/.test(value)) return BigInt(value);
  throw invalid(path, 'expected an integer (a number or a decimal string)');
}

function double(value: unknown, path: string): number {
  if (typeof value === 'number') return value;
  if (value === 'NaN') return Number.NaN;
  if (value === 'Infinity') return Number.POSITIVE_INFINITY;
  if (value === '-Infinity') return Number.NEGATIVE_INFINITY;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  throw invalid(path, 'expected a number');
}

function enumValue(field: FieldSpec, value: unknown, path: string): number {
  if (typeof value === 'string') {
    const named = field.enumValues?.[value];
    if (named !== undefined) return named;
  }
  if ((typeof value === 'number' && Number.isInteger(value)) || (typeof value === 'string' && /^-?\d{1,10}$/.test(value))) {
    return Number(value);
  }
  throw invalid(path, `expected an enum value: an integer or one of ${Object.keys(field.enumValues ?? {}).join(', ')}`);
}
