// Runs on: ingest worker.
import { MAX_NESTING_DEPTH, NestingTooDeepError } from './nesting.js';
import { isPackable, type MessageSpec, wireTypeOf } from './schema.js';
import { I32, I64, LEN, malformed, VARINT, type WireReader } from './wire-reader.js';

/**
 * What is wrong with a message, and at which byte of the request. Returned, not thrown: a hostile
 * request can hold a million malformed items, and throwing (an Error's stack trace above all)
 * cost microseconds per item.
 */
export class Malformation {
  constructor(
    readonly at: number,
    readonly what: string,
  ) {}
}

/**
 * A message table flattened for the hot path: per field number, the wire type it must have
 * (-1: unknown field, anything goes), the nested table for messages, and how a packed repeated
 * field's elements are sized (8, 4, 1 for varints, 0 when it cannot be packed); and the problems
 * of its fields, written once: a malformed item then costs no new string (the rejection tally
 * counts by reason, and a string's hash is kept with it).
 */
interface Checker {
  spec: MessageSpec;
  wire: Int8Array;
  packed: Int8Array;
  nested: (Checker | undefined)[];
  /** At `field * 8 + wireType`: that field sent with that (wrong) wire type. */
  wrongWireType: string[];
  /** At `field`: a packed field whose bytes end inside an element. */
  partialElement: string[];
  /** At `field`: the length a trace or span id must have when set, 0 for other fields. */
  idBytes: Uint8Array;
  /** At `field`: an id of another length. */
  wrongIdLength: string[];
}

/**
 * Where the last long tag or length that `readLongVarint` read stopped: its second return value.
 * The caller creates one per thread and passes it down, so a check allocates nothing.
 */
export class VarintEnd {
  pos = 0;
}

const checkers = new Map<MessageSpec, Checker>();

function checkerOf(spec: MessageSpec): Checker {
  let checker = checkers.get(spec);
  if (checker) return checker;
  const size = Math.max(...spec.fields.map((f) => f.no)) + 1;
  checker = {
    spec,
    wire: new Int8Array(size).fill(-1),
    packed: new Int8Array(size),
    nested: new Array(size),
    wrongWireType: [],
    partialElement: [],
    idBytes: new Uint8Array(size),
    wrongIdLength: [],
  };
  checkers.set(spec, checker);
  for (const f of spec.fields) {
    const expected = wireTypeOf(f.type);
    checker.wire[f.no] = expected;
    for (let w = 0; w < 8; w++) checker.wrongWireType[f.no * 8 + w] = `${spec.name}.${f.name} has wire type ${w}, expected ${expected}`;
    checker.partialElement[f.no] = `${spec.name}.${f.name} has a partial element`;
    if (f.repeated && isPackable(f.type)) checker.packed[f.no] = f.type === 'double' || f.type.endsWith('fixed64') ? 8 : f.type === 'fixed32' ? 4 : 1;
    if (f.spec) checker.nested[f.no] = checkerOf(f.spec);
    if (f.idBytes) {
      checker.idBytes[f.no] = f.idBytes;
      checker.wrongIdLength[f.no] = `${spec.name}.${f.name} must be ${f.idBytes} bytes`;
    }
  }
  return checker;
}

/**
 * Checks that `buf[start, end)` is a well-formed instance of `spec` down to its leaves (every
 * nested message parses, every known field has its schema's wire type, every trace or span id
 * set has its length: the Collector's decoder refuses a whole record over one that has not)
 * without decoding it, so a stored record always decodes on its own. `depth` is the message's level in the request (0
 * for the request). Returns what is wrong, or undefined; nesting past MAX_NESTING_DEPTH is not an
 * item's fault but the request's: it throws NestingTooDeepError. Written as one allocation-free
 * loop: it runs over every byte of every request.
 */
export function checkItem(buf: Uint8Array, start: number, end: number, spec: MessageSpec, depth: number, varintEnd: VarintEnd): Malformation | undefined {
  return check(buf, start, end, checkerOf(spec), depth, varintEnd);
}

/** Checks the field `r` stands on against `spec`, a message at level `depth` (unknown fields pass); throws INVALID_REQUEST. */
export function checkField(r: WireReader, spec: MessageSpec, depth: number, varintEnd: VarintEnd): void {
  const problem = checkValue(r.buf, r.tagStart, r.field, r.wireType, r.valueStart, r.valueEnd, checkerOf(spec), depth, varintEnd);
  if (problem !== undefined) throw malformed(problem.at, problem.what);
}

function check(buf: Uint8Array, pos: number, end: number, checker: Checker, depth: number, varintEnd: VarintEnd): Malformation | undefined {
  const wire = checker.wire;
  const nested = checker.nested;
  const idBytes = checker.idBytes;
  while (pos < end) {
    const tagStart = pos;
    // Tags and lengths under 128 (nearly all of them) take one byte: the loop is the rare case.
    let tag = buf[pos++];
    if (tag > 0x7f) {
      tag = readLongVarint(buf, tagStart, end, varintEnd);
      if (tag < 0) return new Malformation(tagStart, BAD_TAG);
      pos = varintEnd.pos;
    }
    const wireType = tag & 7;
    const field = tag < 0x80000000 ? tag >>> 3 : Math.floor(tag / 8);
    if (field === 0) return new Malformation(tagStart, FIELD_ZERO);
    let valueStart = pos;
    switch (wireType) {
      case VARINT:
        if (pos < end && buf[pos] < 0x80) pos++;
        else {
          pos = skipVarint(buf, pos, end);
          if (pos < 0) return new Malformation(valueStart, BAD_VARINT);
        }
        break;
      case I64:
        pos += 8;
        break;
      case I32:
        pos += 4;
        break;
      case LEN: {
        let length: number;
        if (pos < end && buf[pos] < 0x80) length = buf[pos++];
        else {
          length = readLongVarint(buf, pos, end, varintEnd);
          if (length < 0) return new Malformation(tagStart, BAD_LENGTH);
          pos = varintEnd.pos;
        }
        valueStart = pos;
        pos += length;
        break;
      }
      default:
        return new Malformation(tagStart, UNSUPPORTED_WIRE_TYPE[wireType]);
    }
    if (pos > end) return new Malformation(tagStart, PAST_THE_END);
    const expected = field < wire.length ? wire[field] : -1;
    if (expected < 0) continue;
    let problem: Malformation | undefined;
    if (wireType !== expected) problem = checkValue(buf, tagStart, field, wireType, valueStart, pos, checker, depth, varintEnd);
    else if (nested[field] !== undefined) {
      if (depth >= MAX_NESTING_DEPTH) throw new NestingTooDeepError(`malformed protobuf at byte ${tagStart}`);
      problem = check(buf, valueStart, pos, nested[field], depth + 1, varintEnd);
    } else if (idBytes[field] !== 0 && pos !== valueStart && pos - valueStart !== idBytes[field]) {
      problem = new Malformation(tagStart, checker.wrongIdLength[field]);
    }
    if (problem !== undefined) return problem;
  }
  return undefined;
}

/** Problems of any field (unknown ones too), without its number: the byte offset says which. */
const BAD_TAG = 'bad tag';
const FIELD_ZERO = 'field number 0';
const BAD_VARINT = 'bad varint';
const BAD_LENGTH = 'bad length';
const PAST_THE_END = 'a field runs past the end of its message';
const UNSUPPORTED_WIRE_TYPE = Array.from({ length: 8 }, (_, w) => `unsupported wire type ${w}`);

/** A tag or length of up to 5 bytes at `pos`, or -1 when it is cut or longer; where it stops goes to `varintEnd`. */
function readLongVarint(buf: Uint8Array, pos: number, end: number, varintEnd: VarintEnd): number {
  let value = 0;
  let factor = 1;
  let byte: number;
  do {
    if (pos >= end || factor > 2 ** 28) return -1;
    byte = buf[pos++];
    value += (byte & 0x7f) * factor;
    factor *= 128;
  } while (byte & 0x80);
  varintEnd.pos = pos;
  return value;
}

function checkValue(
  buf: Uint8Array,
  tagStart: number,
  field: number,
  wireType: number,
  start: number,
  end: number,
  checker: Checker,
  depth: number,
  varintEnd: VarintEnd,
): Malformation | undefined {
  const expected = field < checker.wire.length ? checker.wire[field] : -1;
  if (expected < 0) return undefined;
  if (wireType === expected) {
    const nested = checker.nested[field];
    if (nested === undefined) {
      const idBytes = checker.idBytes[field];
      return idBytes !== 0 && end !== start && end - start !== idBytes ? new Malformation(tagStart, checker.wrongIdLength[field]) : undefined;
    }
    if (depth >= MAX_NESTING_DEPTH) throw new NestingTooDeepError(`malformed protobuf at byte ${tagStart}`);
    return check(buf, start, end, nested, depth + 1, varintEnd);
  }
  const packed = checker.packed[field];
  if (wireType !== LEN || packed === 0) return new Malformation(tagStart, checker.wrongWireType[field * 8 + wireType]);
  if (packed > 1) return (end - start) % packed === 0 ? undefined : new Malformation(tagStart, checker.partialElement[field]);
  for (let pos = start; pos < end; ) {
    const next = skipVarint(buf, pos, end);
    if (next < 0) return new Malformation(pos, BAD_VARINT);
    pos = next;
  }
  return undefined;
}

/** The end of the varint at `pos`, or -1 when it is cut or longer than 10 bytes. */
function skipVarint(buf: Uint8Array, pos: number, end: number): number {
  const first = pos;
  while (pos < end && buf[pos] & 0x80) pos++;
  if (pos >= end || pos - first >= 10) return -1;
  return pos + 1;
}
