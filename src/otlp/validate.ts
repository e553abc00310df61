import { isPackable, type MessageSpec, wireTypeOf } from './schema.js';
import { forEachPackedVarint, I32, I64, LEN, malformed, WireReader } from './wire-reader.js';

const noop = () => {};

/**
 * Checks that `buf[start, end)` is a well-formed instance of `spec` down to its leaves (every
 * nested message parses, every known field has its schema's wire type) without decoding it, so
 * a stored record always decodes on its own. Throws INVALID_REQUEST naming the byte offset.
 */
export function checkMessage(buf: Uint8Array, start: number, end: number, spec: MessageSpec): void {
  const r = new WireReader(buf, start, end);
  while (r.next()) checkField(r, spec);
}

/** Checks the field `r` stands on against `spec` (unknown fields pass). */
export function checkField(r: WireReader, spec: MessageSpec): void {
  const field = spec.byNumber.get(r.field);
  if (!field) return;
  if (field.spec) {
    if (r.wireType !== LEN) throw malformed(r.tagStart, `${spec.name}.${field.name} is not a message`);
    checkMessage(r.buf, r.valueStart, r.valueEnd, field.spec);
    return;
  }
  const expected = wireTypeOf(field.type);
  if (r.wireType === expected) return;
  if (r.wireType !== LEN || !field.repeated || !isPackable(field.type)) {
    throw malformed(r.tagStart, `${spec.name}.${field.name} has wire type ${r.wireType}, expected ${expected}`);
  }
  const size = expected === I64 ? 8 : expected === I32 ? 4 : 0;
  if (size === 0) forEachPackedVarint(r.buf, r.valueStart, r.valueEnd, noop);
  else if ((r.valueEnd - r.valueStart) % size !== 0) throw malformed(r.tagStart, `${spec.name}.${field.name} has a partial element`);
}
