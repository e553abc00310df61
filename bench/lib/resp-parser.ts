// Runs on: main thread of a benchmark process.
/**
 * A resumable parser of RESP2 replies (Redis' protocol). It keeps the arrays it has opened across
 * chunks, so a large reply arriving in many chunks is parsed once, not again with each chunk.
 */
export class RespError extends Error {}

export type RespValue = string | number | Buffer | null | RespError | RespValue[];

const INCOMPLETE = Symbol('incomplete');
const ARRAY_OPENED = Symbol('array opened');

export class RespParser {
  private buf: Buffer = Buffer.alloc(0);
  private pos = 0;
  private readonly open: { size: number; items: RespValue[] }[] = [];

  constructor(private readonly onReply: (value: RespValue) => void) {}

  feed(chunk: Buffer): void {
    this.buf = this.pos < this.buf.length ? Buffer.concat([this.buf.subarray(this.pos), chunk]) : chunk;
    this.pos = 0;
    for (;;) {
      const value = this.element();
      if (value === INCOMPLETE) return;
      if (value !== ARRAY_OPENED) this.complete(value);
    }
  }

  private complete(value: RespValue): void {
    let v = value;
    while (this.open.length > 0) {
      const top = this.open[this.open.length - 1];
      top.items.push(v);
      if (top.items.length < top.size) return;
      this.open.pop();
      v = top.items;
    }
    this.onReply(v);
  }

  /** One element at `pos`; an array's header opens a frame its elements then fill. */
  private element(): RespValue | typeof INCOMPLETE | typeof ARRAY_OPENED {
    const buf = this.buf;
    if (this.pos >= buf.length) return INCOMPLETE;
    const eol = buf.indexOf(13, this.pos + 1);
    if (eol < 0 || eol + 1 >= buf.length) return INCOMPLETE;
    const type = buf[this.pos];
    const line = buf.toString('latin1', this.pos + 1, eol);
    switch (type) {
      case 0x2b: // +
        this.pos = eol + 2;
        return line;
      case 0x2d: // -
        this.pos = eol + 2;
        return new RespError(line);
      case 0x3a: // :
        this.pos = eol + 2;
        return Number(line);
      case 0x24: {
        // $
        const length = Number(line);
        if (length < 0) {
          this.pos = eol + 2;
          return null;
        }
        const start = eol + 2;
        if (start + length + 2 > buf.length) return INCOMPLETE;
        this.pos = start + length + 2;
        return buf.subarray(start, start + length);
      }
      case 0x2a: {
        // *
        const size = Number(line);
        this.pos = eol + 2;
        if (size < 0) return null;
        if (size === 0) return [];
        this.open.push({ size, items: [] });
        return ARRAY_OPENED;
      }
      default:
        throw new Error(`unexpected RESP type byte 0x${type.toString(16)}`);
    }
  }
}
