/**
 * Runs on: a sink worker (file, webhook and debug sinks).
 *
 * An OTLP protobuf message written as OTLP/JSON bytes straight from the wire: the same text as
 * `JSON.stringify(protoToJson(...))`, without an object per span, data point or log record, and
 * without a JavaScript string per value (see JsonOutput). Fields are written in the order they
 * first appear; the elements of a repeated field are gathered into one array, and of a singular
 * field seen twice the last one counts, as protoToJson does. Malformed bytes fail where
 * protoToJson fails, with the same errors.
 */
import { JsonOutput } from './json-output.js';
import { MAX_NESTING_DEPTH, NestingTooDeepError } from './nesting.js';
import { type FieldSpec, type FieldType, isPackable, type MessageSpec, messageSpec, wireTypeOf } from './schema.js';
import { I32, I64, LEN, malformed, VARINT, WireReader } from './wire-reader.js';

/** `suffix` is written after the JSON (a newline for a JSON Lines file), so that no copy is needed to add it. */
export function protoToJsonBytes(buf: Uint8Array, messageName: string, suffix?: Uint8Array): Buffer {
  const src = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  // Spans take about 3.7 times their protobuf size as JSON, metrics and logs less: room for most without growing.
  const out = new JsonOutput(1024 + src.length * 4);
  new ProtoToJson(src, out).message(0, src.length, planOf(messageSpec(messageName)), 0);
  if (suffix) out.raw(suffix);
  return out.bytes();
}

/** A message's fields by number, each with what writing it needs, made once per message type. */
interface MessagePlan {
  byNumber: (FieldPlan | undefined)[];
}

interface FieldPlan {
  spec: FieldSpec;
  /** The field's type as a small integer: a switch on it is a jump, not string compares. */
  kind: Kind;
  /** `"name":` */
  key: Buffer;
  wireType: number;
  repeated: boolean;
  packed: boolean;
  /** This field's bit in a mask of the fields a message has shown so far. */
  bit: number;
  message: MessagePlan | undefined;
}

enum Kind {
  String,
  Id,
  Bytes,
  Bool,
  Uint32,
  Int32,
  Sint32,
  Int64,
  Uint64,
  Fixed32,
  Fixed64,
  Sfixed64,
  Double,
  Message,
}

const KINDS: Record<FieldType, Kind> = {
  string: Kind.String,
  id: Kind.Id,
  bytes: Kind.Bytes,
  bool: Kind.Bool,
  uint32: Kind.Uint32,
  int32: Kind.Int32,
  enum: Kind.Int32,
  sint32: Kind.Sint32,
  int64: Kind.Int64,
  uint64: Kind.Uint64,
  fixed32: Kind.Fixed32,
  fixed64: Kind.Fixed64,
  sfixed64: Kind.Sfixed64,
  double: Kind.Double,
  message: Kind.Message,
};

const plans = new Map<MessageSpec, MessagePlan>();
function planOf(spec: MessageSpec): MessagePlan {
  let plan = plans.get(spec);
  if (plan) return plan;
  // Registered before its fields are planned: AnyValue and KeyValueList refer to each other.
  plan = { byNumber: [] };
  plans.set(spec, plan);
  if (spec.fields.length > 31) throw new Error(`${spec.name} has more fields than a 32-bit mask holds`);
  spec.fields.forEach((field, i) => {
    plan.byNumber[field.no] = {
      spec: field,
      kind: KINDS[field.type],
      key: Buffer.from(`${JSON.stringify(field.name)}:`),
      wireType: wireTypeOf(field.type),
      repeated: field.repeated,
      packed: field.repeated && isPackable(field.type),
      bit: 1 << i,
      message: field.spec && planOf(field.spec),
    };
  });
  return plan;
}

const COMMA = 0x2c;

/** The little-endian uint32 at `p` (its bounds checked by the field's read), without Buffer.readUInt32LE's argument checks. */
function uint32At(src: Buffer, p: number): number {
  return (src[p] | (src[p + 1] << 8) | (src[p + 2] << 16)) + src[p + 3] * 0x1000000;
}

/** One message's walk: a read cursor over the protobuf, and the JSON written so far. */
class ProtoToJson {
  /** The read cursor, and what the last `field()` read. */
  private pos = 0;
  private fieldNo = 0;
  private wireType = 0;
  private valueStart = 0;
  private valueEnd = 0;
  /** A VARINT's value as WireReader reads it (exact up to 2^53). */
  private varint = 0;

  constructor(
    private readonly src: Buffer,
    private readonly out: JsonOutput,
  ) {}

  message(start: number, end: number, plan: MessagePlan, depth: number): void {
    const out = this.out;
    const at = out.pos;
    out.byte(0x7b);
    if (!this.streamed(start, end, plan, depth)) {
      // Fields interleaved, or a singular one repeated: written again, gathered.
      out.pos = at + 1;
      this.grouped(start, end, plan, depth);
    }
    out.byte(0x7d);
  }

  /**
   * One pass, fields written as they come: the usual case, where each field's occurrences are
   * adjacent and a singular field occurs once. Otherwise stops and answers false.
   */
  private streamed(start: number, end: number, plan: MessagePlan, depth: number): boolean {
    const out = this.out;
    let open: FieldPlan | undefined;
    let done = 0;
    /** Whether the open repeated field has an element written yet. */
    let any = false;
    this.pos = start;
    while (this.pos < end) {
      const tagStart = this.pos;
      this.field(end);
      const field = plan.byNumber[this.fieldNo];
      if (field === undefined) continue;
      if (field !== open) {
        if ((done & field.bit) !== 0) return false;
        if (open !== undefined) {
          if (open.repeated) out.byte(0x5d);
          out.byte(COMMA);
        }
        done |= field.bit;
        out.raw(field.key);
        if (field.repeated) out.byte(0x5b);
        open = field;
        any = false;
      } else if (!field.repeated) return false;
      const next = this.pos;
      if (!field.repeated) this.value(field, tagStart, depth);
      else if (this.elements(field, tagStart, !any, depth)) any = true;
      this.pos = next;
    }
    if (open?.repeated) out.byte(0x5d);
    return true;
  }

  /** Fields interleaved or repeated: one pass per field, in order of first appearance. */
  private grouped(start: number, end: number, plan: MessagePlan, depth: number): void {
    const out = this.out;
    const order: number[] = [];
    const r = new WireReader(this.src, start, end);
    while (r.next()) if (plan.byNumber[r.field] !== undefined && !order.includes(r.field)) order.push(r.field);
    order.forEach((number, i) => {
      const field = plan.byNumber[number]!;
      if (i > 0) out.byte(COMMA);
      out.raw(field.key);
      if (field.repeated) out.byte(0x5b);
      let any = false;
      let last = -1;
      r.reset(this.src, start, end);
      while (r.next()) {
        if (r.field !== number) continue;
        if (!field.repeated) last = r.tagStart;
        else {
          this.load(r);
          if (this.elements(field, r.tagStart, !any, depth)) any = true;
        }
      }
      if (field.repeated) {
        out.byte(0x5d);
        return;
      }
      // The last occurrence counts.
      r.reset(this.src, last, end);
      r.next();
      this.load(r);
      this.value(field, r.tagStart, depth);
    });
  }

  /** Takes the reader's current field as the one to write. */
  private load(r: WireReader): void {
    this.wireType = r.wireType;
    this.valueStart = r.valueStart;
    this.valueEnd = r.valueEnd;
    this.varint = r.varint;
  }

  /** The element(s) of a repeated field just read (several when packed); false when there were none. */
  private elements(field: FieldPlan, tagStart: number, first: boolean, depth: number): boolean {
    if (!field.packed || this.wireType !== LEN) {
      if (!first) this.out.byte(COMMA);
      this.value(field, tagStart, depth);
      return true;
    }
    const { valueStart: start, valueEnd: end } = this;
    const size = field.wireType === I64 ? 8 : field.wireType === I32 ? 4 : 0;
    if (size > 0 && (end - start) % size !== 0) throw malformed(tagStart, `packed field ${field.spec.name} has a partial element`);
    let p = start;
    while (p < end) {
      if (p > start || !first) this.out.byte(COMMA);
      if (size > 0) {
        this.scalar(field.kind, p, 0);
        p += size;
      } else {
        const elementStart = p;
        let value = 0;
        let factor = 1;
        for (;;) {
          if (p >= end || p - elementStart >= 10) throw malformed(elementStart, 'bad varint in a packed field');
          const byte = this.src[p++];
          value += (byte & 0x7f) * factor;
          factor *= 128;
          if ((byte & 0x80) === 0) break;
        }
        this.scalar(field.kind, elementStart, value);
      }
    }
    return end > start;
  }

  /** The field just read, as a JSON value. */
  private value(field: FieldPlan, tagStart: number, depth: number): void {
    if (this.wireType !== field.wireType) throw malformed(tagStart, `field ${field.spec.name} has wire type ${this.wireType}`);
    if (field.message !== undefined) {
      if (depth >= MAX_NESTING_DEPTH) throw new NestingTooDeepError(`malformed protobuf at byte ${tagStart}`);
      this.message(this.valueStart, this.valueEnd, field.message, depth + 1);
    } else this.scalar(field.kind, this.valueStart, this.wireType === VARINT ? this.varint : 0);
  }

  /** A non-message value at `start` (`varint` its value when it is one), as protoToJson's scalarAt reads it. */
  private scalar(kind: Kind, start: number, varint: number): void {
    const { src, out } = this;
    switch (kind) {
      case Kind.String:
        out.string(src, start, this.valueEnd);
        return;
      case Kind.Id:
        out.hex(src, start, this.valueEnd);
        return;
      case Kind.Bytes:
        out.ascii(`"${src.toString('base64', start, this.valueEnd)}"`);
        return;
      case Kind.Bool:
        out.ascii(varint !== 0 ? 'true' : 'false');
        return;
      // Values wider than their type are cut to it, as every protobuf library reads them.
      case Kind.Uint32:
        out.uint32(this.varintLow(start) >>> 0);
        return;
      case Kind.Int32:
        out.number(this.varintLow(start) | 0);
        return;
      case Kind.Sint32:
        out.number(varint % 2 === 0 ? varint / 2 : -(varint + 1) / 2);
        return;
      case Kind.Int64:
      case Kind.Uint64: {
        const lo = this.varintLow(start) >>> 0;
        const hi = this.varintHigh(start) >>> 0;
        if (kind === Kind.Int64) out.int64(lo, hi);
        else out.uint64(lo, hi);
        return;
      }
      case Kind.Fixed32:
        out.uint32(uint32At(src, start));
        return;
      case Kind.Fixed64:
        out.uint64(uint32At(src, start), uint32At(src, start + 4));
        return;
      case Kind.Sfixed64:
        out.int64(uint32At(src, start), uint32At(src, start + 4));
        return;
      case Kind.Double:
        out.number(src.readDoubleLE(start));
        return;
    }
  }

  /** Bits 0-31 of the varint at `p` (its first five bytes). */
  private varintLow(p: number): number {
    const src = this.src;
    let lo = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      const byte = src[p++];
      lo |= (byte & 0x7f) << shift;
      if (byte < 0x80) break;
    }
    return lo;
  }

  /** Bits 32-63 of the varint at `p`. */
  private varintHigh(p: number): number {
    const src = this.src;
    let hi = 0;
    for (let shift = 0; shift < 70; shift += 7) {
      const byte = src[p++];
      if (shift === 28) hi |= (byte & 0x7f) >> 4;
      else if (shift > 28) hi |= (byte & 0x7f) << (shift - 32);
      if (byte < 0x80) break;
    }
    return hi;
  }

  /** Reads the field at the cursor, up to `end`, as WireReader.next does (and failing where it fails). */
  private field(end: number): void {
    const tagStart = this.pos;
    const tag = this.readVarint(end);
    this.fieldNo = Math.floor(tag / 8);
    this.wireType = tag & 7;
    if (this.fieldNo === 0) throw malformed(tagStart, 'field number 0');
    switch (this.wireType) {
      case VARINT:
        this.valueStart = this.pos;
        this.varint = this.readVarint(end);
        break;
      case I64:
      case I32: {
        const size = this.wireType === I64 ? 8 : 4;
        this.valueStart = this.pos;
        if (size > end - this.pos) throw malformed(tagStart, `field ${this.fieldNo} runs past the end of its message`);
        this.pos += size;
        break;
      }
      case LEN: {
        const length = this.readVarint(end);
        this.valueStart = this.pos;
        if (length > end - this.pos) throw malformed(tagStart, `field ${this.fieldNo} runs past the end of its message`);
        this.pos += length;
        break;
      }
      default:
        throw malformed(tagStart, `unsupported wire type ${this.wireType} for field ${this.fieldNo}`);
    }
    this.valueEnd = this.pos;
  }

  private readVarint(end: number): number {
    const src = this.src;
    let result = 0;
    let factor = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= end) throw malformed(this.pos, 'varint runs past the end of its message');
      const byte = src[this.pos++];
      result += (byte & 0x7f) * factor;
      if ((byte & 0x80) === 0) return result;
      factor *= 128;
    }
    throw malformed(this.pos, 'varint longer than 10 bytes');
  }
}
