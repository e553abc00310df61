import { type FieldSpec, isPackable, type MessageSpec, messageSpec, wireTypeOf } from '../../src/otlp/schema.js';

/**
 * An OTLP request as a JSON-shaped value (OTLP JSON field names) that both encodings are written
 * from: `jsonText` writes OTLP/JSON, `protobuf` writes the protobuf a sender would. Integers are
 * `Int`s, which keep the literal a sender typed (`18446744073709551616`, `1e30`, `"42"`), so a
 * test can send values that no double or fixed-width field holds. The protobuf encoder is the
 * test's own (only the field tables come from the gateway): it writes whatever bits it is given,
 * as a hostile or buggy sender would, and nests as deep as asked.
 */
export type Model = string | number | boolean | Int | Model[] | { [key: string]: Model };

export class Int {
  constructor(readonly literal: string) {}

  /** The integer the literal denotes, or undefined (1.5, or not a number). */
  get value(): bigint | undefined {
    const text = this.literal.startsWith('"') ? JSON.parse(this.literal) : this.literal;
    if (/^-?\d+$/.test(text)) return BigInt(text);
    if (this.literal.startsWith('"')) return undefined;
    const n = Number(text);
    return Number.isInteger(n) ? BigInt(n) : undefined;
  }

  /** Whether OTLP/JSON allows it in a field of `type`: an integer within the type's range. */
  fits(type: IntType): boolean {
    const v = this.value;
    return v !== undefined && v >= RANGES[type][0] && v <= RANGES[type][1];
  }
}

export type IntType = 'int32' | 'sint32' | 'enum' | 'uint32' | 'fixed32' | 'int64' | 'sfixed64' | 'uint64' | 'fixed64';

export const RANGES: Record<IntType, [bigint, bigint]> = {
  int32: [-(2n ** 31n), 2n ** 31n - 1n],
  sint32: [-(2n ** 31n), 2n ** 31n - 1n],
  enum: [-(2n ** 31n), 2n ** 31n - 1n],
  uint32: [0n, 2n ** 32n - 1n],
  fixed32: [0n, 2n ** 32n - 1n],
  int64: [-(2n ** 63n), 2n ** 63n - 1n],
  sfixed64: [-(2n ** 63n), 2n ** 63n - 1n],
  uint64: [0n, 2n ** 64n - 1n],
  fixed64: [0n, 2n ** 64n - 1n],
};

/** OTLP/JSON text of `model`, integers written as their literals. */
export function jsonText(model: Model): string {
  if (model instanceof Int) return model.literal;
  if (Array.isArray(model)) return `[${model.map(jsonText).join(',')}]`;
  if (typeof model === 'object') return `{${Object.entries(model).map(([k, v]) => `${JSON.stringify(k)}:${jsonText(v)}`).join(',')}}`;
  return JSON.stringify(model);
}

/** Protobuf of `model` as message `messageName`; integers are cut to their field's width, as the wire does. */
export function protobuf(model: Model, messageName: string): Buffer {
  return message(model, messageSpec(messageName));
}

function message(model: Model, spec: MessageSpec): Buffer {
  const parts: Buffer[] = [];
  for (const [key, value] of Object.entries(model as Record<string, Model>)) {
    const field = spec.byName.get(key);
    if (!field) continue;
    if (!field.repeated) parts.push(fieldBytes(field, value));
    else if (isPackable(field.type)) {
      const list = value as Model[];
      if (list.length > 0) parts.push(varint(BigInt(field.no * 8 + 2)), delimited(Buffer.concat(list.map((v) => scalar(field, v)))));
    } else for (const v of value as Model[]) parts.push(fieldBytes(field, v));
  }
  return Buffer.concat(parts);
}

function fieldBytes(field: FieldSpec, value: Model): Buffer {
  const tag = varint(BigInt(field.no * 8 + wireTypeOf(field.type)));
  return Buffer.concat([tag, field.type === 'message' ? delimited(message(value, field.spec!)) : scalar(field, value)]);
}

function scalar(field: FieldSpec, value: Model): Buffer {
  switch (field.type) {
    case 'string':
      return delimited(Buffer.from(value as string));
    case 'bytes':
      return delimited(Buffer.from(value as string, 'base64'));
    case 'id':
      return delimited(Buffer.from(value as string, 'hex'));
    case 'bool':
      return varint(value ? 1n : 0n);
    case 'enum':
      return varint(typeof value === 'string' ? BigInt(field.enumValues?.[value] ?? 0) : integer(value));
    case 'int32':
    case 'int64':
    case 'uint32':
    case 'uint64':
      return varint(integer(value));
    case 'sint32': {
      const n = BigInt.asIntN(32, integer(value));
      return varint(n >= 0n ? 2n * n : -2n * n - 1n);
    }
    case 'fixed32': {
      const b = Buffer.alloc(4);
      b.writeUInt32LE(Number(BigInt.asUintN(32, integer(value))));
      return b;
    }
    case 'fixed64':
    case 'sfixed64': {
      const b = Buffer.alloc(8);
      b.writeBigUInt64LE(BigInt.asUintN(64, integer(value)));
      return b;
    }
    case 'double': {
      const b = Buffer.alloc(8);
      b.writeDoubleLE(typeof value === 'number' ? value : Number(value));
      return b;
    }
    default:
      throw new Error(`no encoding for ${field.type}`);
  }
}

/** An Int's value; what is no integer (1.5) is sent as 0. */
function integer(value: Model): bigint {
  if (value instanceof Int) return value.value ?? 0n;
  return BigInt(value as number);
}

function varint(value: bigint): Buffer {
  let v = BigInt.asUintN(64, value);
  const out: number[] = [];
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return Buffer.from(out);
}

function delimited(content: Buffer): Buffer {
  return Buffer.concat([varint(BigInt(content.length)), content]);
}

/** A log record whose body is AnyValue arrays (or kvlists) nested so that the innermost message sits at `level`. */
export function nestedLogRequest(level: number, kind: 'array' | 'kvlist'): Model {
  // The body is an AnyValue at level 4 (request 0, ResourceLogs 1, ScopeLogs 2, LogRecord 3).
  let body: Model = { stringValue: 'innermost' };
  let at = 4;
  const step = kind === 'array' ? 2 : 3;
  const wraps: ((inner: Model) => Model)[] = [];
  while (at + step <= level) {
    wraps.push(kind === 'array' ? (inner) => ({ arrayValue: { values: [inner] } }) : (inner) => ({ kvlistValue: { values: [{ key: 'k', value: inner }] } }));
    at += step;
  }
  // Reach `level` exactly with the remaining levels: an empty ArrayValue (+1) or KeyValue (+2).
  const rest = level - at;
  if (rest === 1) body = { arrayValue: {} };
  else if (rest === 2) body = { kvlistValue: { values: [{ key: 'innermost' }] } };
  for (const wrap of wraps.reverse()) body = wrap(body);
  return { resourceLogs: [{ scopeLogs: [{ logRecords: [{ severityText: 'INFO', body }] }] }] };
}

/**
 * A log request whose body is `wraps` AnyValue arrays (or kvlists) deep, in either encoding,
 * built without recursion (the test's encoders recurse, and this is for depths no stack holds).
 */
export function deepLogRequest(wraps: number, kind: 'array' | 'kvlist', json: boolean): Buffer | string {
  if (json) {
    const [open, close] = kind === 'array' ? ['{"arrayValue":{"values":[', ']}}'] : ['{"kvlistValue":{"values":[{"key":"k","value":', '}]}}'];
    return `{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":${open.repeat(wraps)}{"stringValue":"innermost"}${close.repeat(wraps)}}]}]}]}`;
  }
  // Fields from the outside in: [tag, bytes before the next field inside it].
  const KEY = [0x0a, 0x01, 0x6b];
  const level: [number, number[]][] = kind === 'array' ? [[0x2a, []], [0x0a, []]] : [[0x32, []], [0x0a, KEY], [0x12, []]];
  const fields: [number, number[]][] = [[0x0a, []], [0x12, []], [0x12, []], [0x2a, []]];
  for (let i = 0; i < wraps; i++) fields.push(...level);
  const innermost = Buffer.concat([Buffer.from([0x0a, 9]), Buffer.from('innermost')]);
  // Content size of each field, from the inside out; then one pass writes them from the outside in.
  const sizes = new Array<number>(fields.length);
  let inner = innermost.length;
  for (let i = fields.length - 1; i >= 0; i--) {
    sizes[i] = fields[i][1].length + inner;
    inner = 1 + varint(BigInt(sizes[i])).length + sizes[i];
  }
  const out = Buffer.alloc(inner);
  let pos = 0;
  for (let i = 0; i < fields.length; i++) {
    out[pos++] = fields[i][0];
    pos += varint(BigInt(sizes[i])).copy(out, pos);
    for (const b of fields[i][1]) out[pos++] = b;
  }
  innermost.copy(out, pos);
  return out;
}
