// Runs on: main thread (`tributary tail`, the admin API's record view).
import { MAX_NESTING_DEPTH, NestingTooDeepError } from './nesting.js';
import { type FieldSpec, isPackable, type MessageSpec, messageSpec, wireTypeOf } from './schema.js';
import { forEachPackedVarint, I32, I64, LEN, malformed, VARINT, WireReader } from './wire-reader.js';

export type OtlpJson = { [key: string]: unknown };

/**
 * The sinks write OTLP/JSON with protoToJsonBytes, which reads values as scalarAt here does.
 *
 * Decodes an OTLP protobuf message into its OTLP JSON shape (lowerCamelCase, hex ids, base64
 * bytes, enums as integers, 64-bit integers as decimal strings). Unknown fields are skipped;
 * a field whose wire type disagrees with the schema is an error, and so is nesting past
 * MAX_NESTING_DEPTH (a clear error instead of a stack overflow, for records that other producers wrote).
 */
export function protoToJson(buf: Uint8Array, messageName: string): OtlpJson {
  return readMessage(buf, 0, buf.length, messageSpec(messageName), 0);
}

function readMessage(buf: Uint8Array, start: number, end: number, spec: MessageSpec, depth: number): OtlpJson {
  const out: OtlpJson = {};
  const r = new WireReader(buf, start, end);
  while (r.next()) {
    const field = spec.byNumber.get(r.field);
    if (!field) continue;
    if (field.repeated) {
      if (!out[field.name]) out[field.name] = [];
      const list = out[field.name] as unknown[];
      if (r.wireType === LEN && isPackable(field.type)) readPacked(r, field, list);
      else list.push(readValue(r, field, depth));
    } else {
      out[field.name] = readValue(r, field, depth);
    }
  }
  return out;
}

function readValue(r: WireReader, field: FieldSpec, depth: number): unknown {
  if (r.wireType !== wireTypeOf(field.type)) throw malformed(r.tagStart, `field ${field.name} has wire type ${r.wireType}`);
  if (field.type === 'message') {
    if (depth >= MAX_NESTING_DEPTH) throw new NestingTooDeepError(`malformed protobuf at byte ${r.tagStart}`);
    return readMessage(r.buf, r.valueStart, r.valueEnd, field.spec!, depth + 1);
  }
  return scalarAt(r.buf, r.valueStart, r.valueEnd, r.wireType === VARINT ? r.varint : 0, field);
}

/** A non-message field's value as OTLP JSON has it (messages decode as readMessage does). */
function scalarAt(buf: Uint8Array, start: number, end: number, varint: number, field: FieldSpec): unknown {
  const view = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  switch (field.type) {
    case 'string':
      return view.toString('utf8', start, end);
    case 'bytes':
      return view.toString('base64', start, end);
    case 'id':
      return view.toString('hex', start, end);
    case 'bool':
      return varint !== 0;
    // Values wider than their type are cut to it, as every protobuf library reads them; a negative
    // int32 or enum is a 10-byte varint, past what `varint` holds exactly.
    case 'uint32':
      return varint > 0xffffffff ? Number(BigInt.asUintN(32, bigVarintAt(buf, start, false))) : varint;
    case 'enum':
    case 'int32':
      return varint > 0x7fffffff ? Number(BigInt.asIntN(32, bigVarintAt(buf, start, true))) : varint;
    case 'sint32':
      return varint % 2 === 0 ? varint / 2 : -(varint + 1) / 2;
    case 'int64':
    case 'uint64':
      return bigVarintAt(buf, start, field.type === 'int64').toString();
    case 'fixed32':
      return view.readUInt32LE(start);
    case 'fixed64':
      return view.readBigUInt64LE(start).toString();
    case 'sfixed64':
      return view.readBigInt64LE(start).toString();
    case 'double': {
      // JSON has no literal for these: protobuf's JSON mapping writes them as strings.
      const value = view.readDoubleLE(start);
      return Number.isFinite(value) ? value : String(value);
    }
  }
}

/** 64-bit varints exactly, which WireReader's number cannot hold past 2^53. */
function bigVarintAt(buf: Uint8Array, pos: number, signed: boolean): bigint {
  let result = 0n;
  let shift = 0n;
  for (;;) {
    const byte = buf[pos++];
    result |= BigInt(byte & 0x7f) << shift;
    if ((byte & 0x80) === 0) break;
    shift += 7n;
  }
  return signed ? BigInt.asIntN(64, result) : BigInt.asUintN(64, result);
}

/** Adds each element of a packed repeated field at the reader to `list`. */
function readPacked(r: WireReader, field: FieldSpec, list: unknown[]): void {
  const wireType = wireTypeOf(field.type);
  const size = wireType === I64 ? 8 : wireType === I32 ? 4 : 0;
  if (size > 0) {
    if ((r.valueEnd - r.valueStart) % size !== 0) throw malformed(r.tagStart, `packed field ${field.name} has a partial element`);
    for (let p = r.valueStart; p < r.valueEnd; p += size) list.push(scalarAt(r.buf, p, p + size, 0, field));
    return;
  }
  forEachPackedVarint(r.buf, r.valueStart, r.valueEnd, (start, end, value) => list.push(scalarAt(r.buf, start, end, value, field)));
}
