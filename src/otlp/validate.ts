import { MAX_NESTING_DEPTH, NestingTooDeepError } from './nesting.js';
import { isPackable, type MessageSpec, wireTypeOf } from './schema.js';
import { I32, I64, LEN, malformed, VARINT, type WireReader } from './wire-reader.js';

/**
 * A message table flattened for the hot path: per field number, the wire type it must have
 * (-1: unknown field, anything goes), the nested table for messages, and how a packed repeated
 * field's elements are sized (8, 4, 1 for varints, 0 when it cannot be packed).
 */
interface Checker {
  spec: MessageSpec;
  wire: Int8Array;
  packed: Int8Array;
  nested: (Checker | undefined)[];
}

const checkers = new Map<MessageSpec, Checker>();

function checkerOf(spec: MessageSpec): Checker {
  let checker = checkers.get(spec);
  if (checker) return checker;
  const size = Math.max(...spec.fields.map((f) => f.no)) + 1;
  checker = { spec, wire: new Int8Array(size).fill(-1), packed: new Int8Array(size), nested: new Array(size) };
  checkers.set(spec, checker);
  for (const f of spec.fields) {
    checker.wire[f.no] = wireTypeOf(f.type);
    if (f.repeated && isPackable(f.type)) checker.packed[f.no] = f.type === 'double' || f.type.endsWith('fixed64') ? 8 : f.type === 'fixed32' ? 4 : 1;
    if (f.spec) checker.nested[f.no] = checkerOf(f.spec);
  }
  return checker;
}

/**
 * Checks that `buf[start, end)` is a well-formed instance of `spec` down to its leaves (every
 * nested message parses, every known field has its schema's wire type, nothing nests past
 * MAX_NESTING_DEPTH) without decoding it, so a stored record always decodes on its own. `depth`
 * is the message's level in the request (0 for the request). Throws INVALID_REQUEST naming the
 * byte offset (NestingTooDeepError past the depth). Written as one allocation-free loop: it runs
 * over every byte of every request.
 */
export function checkMessage(buf: Uint8Array, start: number, end: number, spec: MessageSpec, depth: number): void {
  check(buf, start, end, checkerOf(spec), depth);
}

/** Checks the field `r` stands on against `spec`, a message at level `depth` (unknown fields pass). */
export function checkField(r: WireReader, spec: MessageSpec, depth: number): void {
  checkValue(r.buf, r.tagStart, r.field, r.wireType, r.valueStart, r.valueEnd, checkerOf(spec), depth);
}

function check(buf: Uint8Array, pos: number, end: number, checker: Checker, depth: number): void {
  const wire = checker.wire;
  const nested = checker.nested;
  while (pos < end) {
    const tagStart = pos;
    // Tags and lengths under 128 (nearly all of them) take one byte: the loop is the rare case.
    let tag = buf[pos++];
    if (tag > 0x7f) {
      tag = readLongVarint(buf, tagStart, end, tagStart, 0);
      pos = varintEnd;
    }
    const wireType = tag & 7;
    const field = tag < 0x80000000 ? tag >>> 3 : Math.floor(tag / 8);
    if (field === 0) throw malformed(tagStart, 'field number 0');
    let valueStart = pos;
    switch (wireType) {
      case VARINT:
        if (pos < end && buf[pos] < 0x80) pos++;
        else pos = skipVarint(buf, pos, end);
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
          length = readLongVarint(buf, pos, end, tagStart, field);
          pos = varintEnd;
        }
        valueStart = pos;
        pos += length;
        break;
      }
      default:
        throw malformed(tagStart, `unsupported wire type ${wireType} for field ${field}`);
    }
    if (pos > end) throw malformed(tagStart, `field ${field} runs past the end of its message`);
    const expected = field < wire.length ? wire[field] : -1;
    if (expected < 0) continue;
    if (wireType !== expected) checkValue(buf, tagStart, field, wireType, valueStart, pos, checker, depth);
    else if (nested[field] !== undefined) {
      if (depth >= MAX_NESTING_DEPTH) throw new NestingTooDeepError(`malformed protobuf at byte ${tagStart}`);
      check(buf, valueStart, pos, nested[field], depth + 1);
    }
  }
}

/** Where the last `readLongVarint` stopped (a second return value, without allocating). */
let varintEnd = 0;

/** The tag (`field` 0) or length of `field`, up to 5 bytes at `pos`; throws at `tagStart` when it is cut or longer. */
function readLongVarint(buf: Uint8Array, pos: number, end: number, tagStart: number, field: number): number {
  let value = 0;
  let factor = 1;
  let byte: number;
  do {
    if (pos >= end || factor > 2 ** 28) throw malformed(tagStart, field === 0 ? 'bad tag' : `bad length of field ${field}`);
    byte = buf[pos++];
    value += (byte & 0x7f) * factor;
    factor *= 128;
  } while (byte & 0x80);
  varintEnd = pos;
  return value;
}

function checkValue(buf: Uint8Array, tagStart: number, field: number, wireType: number, start: number, end: number, checker: Checker, depth: number): void {
  const expected = field < checker.wire.length ? checker.wire[field] : -1;
  if (expected < 0) return;
  if (wireType === expected) {
    const nested = checker.nested[field];
    if (nested === undefined) return;
    if (depth >= MAX_NESTING_DEPTH) throw new NestingTooDeepError(`malformed protobuf at byte ${tagStart}`);
    check(buf, start, end, nested, depth + 1);
    return;
  }
  const packed = checker.packed[field];
  if (wireType !== LEN || packed === 0) throw malformed(tagStart, `${fieldName(checker, field)} has wire type ${wireType}, expected ${expected}`);
  if (packed > 1) {
    if ((end - start) % packed !== 0) throw malformed(tagStart, `${fieldName(checker, field)} has a partial element`);
    return;
  }
  let pos = start;
  while (pos < end) pos = skipVarint(buf, pos, end);
}

function fieldName(checker: Checker, field: number): string {
  return `${checker.spec.name}.${checker.spec.byNumber.get(field)!.name}`;
}

function skipVarint(buf: Uint8Array, pos: number, end: number): number {
  const first = pos;
  while (pos < end && buf[pos] & 0x80) pos++;
  if (pos >= end || pos - first >= 10) throw malformed(first, 'bad varint');
  return pos + 1;
}
