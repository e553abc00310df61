/**
 * Runs on: a sink worker (file, webhook and debug sinks).
 *
 * An OTLP protobuf message written as OTLP/JSON bytes straight from the wire: the same text as
 * `JSON.stringify(protoToJson(...))`, without an object per span, data point or log record, and
 * without a JavaScript string per ASCII value: those bytes are copied from the protobuf as they
 * are (ids are hex-encoded byte by byte). Fields are written in the order they first appear;
 * the elements of a repeated field are gathered into one array, and of a singular field seen
 * twice the last one counts, as protoToJson does.
 */
import { readPacked, scalarAt } from './proto-to-json.js';
import { type FieldSpec, isPackable, type MessageSpec, messageSpec, wireTypeOf } from './schema.js';
import { LEN, malformed, VARINT, WireReader } from './wire-reader.js';

export function protoToJsonBytes(buf: Uint8Array, messageName: string): Buffer {
  const out = new JsonOutput(Math.max(1024, buf.length * 3));
  writeMessage(Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength), 0, buf.length, messageSpec(messageName), out);
  return out.bytes();
}

const HEX = Buffer.from('0123456789abcdef');
const QUOTE = 0x22;

/** A growing byte buffer of JSON. */
class JsonOutput {
  buf: Buffer;
  pos = 0;

  constructor(size: number) {
    this.buf = Buffer.allocUnsafe(size);
  }

  bytes(): Buffer {
    return this.buf.subarray(0, this.pos);
  }

  ensure(extra: number): void {
    if (this.pos + extra <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + extra));
    this.buf.copy(bigger, 0, 0, this.pos);
    this.buf = bigger;
  }

  byte(b: number): void {
    this.ensure(1);
    this.buf[this.pos++] = b;
  }

  /** Text known to be ASCII (numbers, base64, keys, JSON.stringify's escapes). */
  ascii(text: string): void {
    const n = text.length;
    this.ensure(n);
    // A call into Buffer.write costs more than copying a short string's char codes.
    if (n < 32) for (let i = 0; i < n; i++) this.buf[this.pos++] = text.charCodeAt(i);
    else this.pos += this.buf.write(text, this.pos, 'latin1');
  }

  /** Text of any characters, as UTF-8. */
  text(text: string): void {
    this.ensure(Buffer.byteLength(text));
    this.pos += this.buf.write(text, this.pos, 'utf8');
  }

  raw(src: Buffer, start: number, end: number): void {
    this.ensure(end - start);
    if (end - start < 32) for (let p = start; p < end; p++) this.buf[this.pos++] = src[p];
    else this.pos += src.copy(this.buf, this.pos, start, end);
  }
}

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

function writeMessage(buf: Buffer, start: number, end: number, spec: MessageSpec, out: JsonOutput): void {
  const at = out.pos;
  out.byte(0x7b);
  const order = streamed(buf, start, end, spec, out);
  if (order) {
    // Fields interleaved, or a singular one repeated: written again, gathered.
    out.pos = at + 1;
    grouped(buf, start, end, spec, order, out);
  }
  out.byte(0x7d);
}

/**
 * One pass, fields written as they come: the usual case, where each field's occurrences are
 * adjacent and a singular field occurs once. Otherwise stops and answers the fields in order
 * of first appearance.
 */
function streamed(buf: Buffer, start: number, end: number, spec: MessageSpec, out: JsonOutput): number[] | undefined {
  let open: FieldSpec | undefined;
  const done: FieldSpec[] = [];
  /** Whether the open repeated field has an element written yet. */
  let any = false;
  const r = new WireReader(buf, start, end);
  while (r.next()) {
    const field = spec.byNumber.get(r.field);
    if (!field) continue;
    if (field !== open) {
      if (done.includes(field)) return firstAppearances(buf, start, end, spec);
      if (open) {
        if (open.repeated) out.byte(0x5d);
        out.byte(0x2c);
      }
      done.push(field);
      out.ascii(keyOf(field));
      if (field.repeated) out.byte(0x5b);
      open = field;
      any = false;
    } else if (!field.repeated) return firstAppearances(buf, start, end, spec);
    if (!field.repeated) writeValue(r, field, out);
    else if (writeElements(r, field, !any, out)) any = true;
  }
  if (open?.repeated) out.byte(0x5d);
  return undefined;
}

function firstAppearances(buf: Buffer, start: number, end: number, spec: MessageSpec): number[] {
  const order: number[] = [];
  const r = new WireReader(buf, start, end);
  while (r.next()) if (spec.byNumber.has(r.field) && !order.includes(r.field)) order.push(r.field);
  return order;
}

/** Fields interleaved or repeated: one pass per field, in order of first appearance. */
function grouped(buf: Buffer, start: number, end: number, spec: MessageSpec, order: number[], out: JsonOutput): void {
  const r = new WireReader(buf, start, end);
  order.forEach((number, i) => {
    const field = spec.byNumber.get(number)!;
    if (i > 0) out.byte(0x2c);
    out.ascii(keyOf(field));
    if (field.repeated) {
      out.byte(0x5b);
      let any = false;
      r.reset(buf, start, end);
      while (r.next()) if (r.field === number && writeElements(r, field, !any, out)) any = true;
      out.byte(0x5d);
      return;
    }
    // The last occurrence counts.
    let at = -1;
    r.reset(buf, start, end);
    while (r.next()) if (r.field === number) at = r.tagStart;
    r.reset(buf, at, end);
    r.next();
    writeValue(r, field, out);
  });
}

/** The element(s) at the reader of a repeated field (several when packed); false when there were none. */
function writeElements(r: WireReader, field: FieldSpec, first: boolean, out: JsonOutput): boolean {
  if (r.wireType === LEN && isPackable(field.type)) {
    const list: unknown[] = [];
    readPacked(r, field, list);
    for (let i = 0; i < list.length; i++) {
      if (!first || i > 0) out.byte(0x2c);
      out.ascii(scalarText(list[i]));
    }
    return list.length > 0;
  }
  if (!first) out.byte(0x2c);
  writeValue(r, field, out);
  return true;
}

function writeValue(r: WireReader, field: FieldSpec, out: JsonOutput): void {
  if (r.wireType !== wireTypeOf(field.type)) throw malformed(r.tagStart, `field ${field.name} has wire type ${r.wireType}`);
  const buf = r.buf as Buffer;
  switch (field.type) {
    case 'message':
      writeMessage(buf, r.valueStart, r.valueEnd, field.spec!, out);
      return;
    case 'string':
      writeString(buf, r.valueStart, r.valueEnd, out);
      return;
    case 'id':
      out.ensure(2 + 2 * (r.valueEnd - r.valueStart));
      out.buf[out.pos++] = QUOTE;
      for (let p = r.valueStart; p < r.valueEnd; p++) {
        out.buf[out.pos++] = HEX[buf[p] >> 4];
        out.buf[out.pos++] = HEX[buf[p] & 15];
      }
      out.buf[out.pos++] = QUOTE;
      return;
    default: {
      const value = scalarAt(buf, r.valueStart, r.valueEnd, r.wireType === VARINT ? r.varint : 0, field);
      out.ascii(scalarText(value));
    }
  }
}

/** A UTF-8 string field: its bytes as they are when they are ASCII needing no escape, else as JSON.stringify writes it. */
function writeString(buf: Buffer, start: number, end: number, out: JsonOutput): void {
  for (let p = start; p < end; p++) {
    const b = buf[p];
    if (b < 0x20 || b >= 0x80 || b === QUOTE || b === 0x5c) {
      out.text(JSON.stringify(buf.toString('utf8', start, end)));
      return;
    }
  }
  out.ensure(end - start + 2);
  out.buf[out.pos++] = QUOTE;
  out.raw(buf, start, end);
  out.buf[out.pos++] = QUOTE;
}

/** JSON.stringify's text of a scalar: numbers (non-finite ones as null), booleans, strings of ASCII (int64s, base64). */
function scalarText(value: unknown): string {
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : 'null';
  if (typeof value === 'string') return `"${value}"`;
  return String(value);
}
