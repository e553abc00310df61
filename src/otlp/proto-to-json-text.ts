/**
 * Runs on: a sink worker (file, webhook and debug sinks).
 *
 * An OTLP protobuf message written as OTLP/JSON text straight from the wire: the same text as
 * `JSON.stringify(protoToJson(...))`, without building an object per span, data point or log
 * record first. Fields are written in the order they first appear; the elements of a repeated
 * field are gathered into one array, and of a singular field seen twice the last one counts,
 * as protobuf merges them.
 */
import { readPacked, scalarAt } from './proto-to-json.js';
import { type FieldSpec, isPackable, type MessageSpec, messageSpec, wireTypeOf } from './schema.js';
import { LEN, malformed, VARINT, WireReader } from './wire-reader.js';

/** Each field's name as a JSON key with its colon, made once. */
const keys = new WeakMap<FieldSpec, string>();
function keyOf(field: FieldSpec): string {
  let key = keys.get(field);
  if (key === undefined) {
    key = `${JSON.stringify(field.name)}:`;
    keys.set(field, key);
  }
  return key;
}

export function protoToJsonText(buf: Uint8Array, messageName: string): string {
  return messageText(buf, 0, buf.length, messageSpec(messageName));
}

function messageText(buf: Uint8Array, start: number, end: number, spec: MessageSpec): string {
  const r = new WireReader(buf, start, end);
  // A first look: is every field's run contiguous and every singular field there once (the usual case)?
  let simple = true;
  const seen: number[] = [];
  let last = -1;
  while (r.next()) {
    const field = spec.byNumber.get(r.field);
    if (!field) continue;
    if (r.field !== last && seen.includes(r.field)) simple = false;
    else if (r.field === last && !field.repeated) simple = false;
    if (r.field !== last && !seen.includes(r.field)) seen.push(r.field);
    last = r.field;
  }
  return simple ? streamed(buf, start, end, spec) : grouped(buf, start, end, spec, seen);
}

/** One pass: fields written as they come. */
function streamed(buf: Uint8Array, start: number, end: number, spec: MessageSpec): string {
  let out = '{';
  let open: FieldSpec | undefined;
  /** Whether the open repeated field has an element written yet. */
  let any = false;
  const r = new WireReader(buf, start, end);
  while (r.next()) {
    const field = spec.byNumber.get(r.field);
    if (!field) continue;
    if (field !== open) {
      if (open?.repeated) out += ']';
      out += `${out.length > 1 ? ',' : ''}${keyOf(field)}${field.repeated ? '[' : ''}`;
      open = field;
      any = false;
    }
    if (!field.repeated) {
      out += valueText(r, field);
      continue;
    }
    const more = elements(r, field, !any);
    if (more !== '') any = true;
    out += more;
  }
  if (open?.repeated) out += ']';
  return `${out}}`;
}

/** Fields interleaved or repeated: one pass per field, in order of first appearance. */
function grouped(buf: Uint8Array, start: number, end: number, spec: MessageSpec, order: number[]): string {
  const parts: string[] = [];
  const r = new WireReader(buf, start, end);
  for (const number of order) {
    const field = spec.byNumber.get(number)!;
    let text = '';
    let first = true;
    r.reset(buf, start, end);
    while (r.next()) {
      if (r.field !== number) continue;
      if (field.repeated) {
        const more = elements(r, field, first);
        if (more !== '') first = false;
        text += more;
      } else text = valueText(r, field);
    }
    parts.push(`${keyOf(field)}${field.repeated ? `[${text}]` : text}`);
  }
  return `{${parts.join(',')}}`;
}

/** The elements at the reader of a repeated field (several when packed), comma-separated, with a leading comma unless first. */
function elements(r: WireReader, field: FieldSpec, first: boolean): string {
  if (r.wireType === LEN && isPackable(field.type)) {
    const list: unknown[] = [];
    readPacked(r, field, list);
    if (list.length === 0) return '';
    return (first ? '' : ',') + list.map((v) => JSON.stringify(v)).join(',');
  }
  return (first ? '' : ',') + valueText(r, field);
}

function valueText(r: WireReader, field: FieldSpec): string {
  if (field.type === 'message') {
    if (r.wireType !== LEN) throw malformed(r.tagStart, `field ${field.name} has wire type ${r.wireType}`);
    return messageText(r.buf, r.valueStart, r.valueEnd, field.spec!);
  }
  if (r.wireType !== wireTypeOf(field.type)) throw malformed(r.tagStart, `field ${field.name} has wire type ${r.wireType}`);
  const value = scalarAt(r.buf, r.valueStart, r.valueEnd, r.wireType === VARINT ? r.varint : 0, field);
  return JSON.stringify(value);
}
