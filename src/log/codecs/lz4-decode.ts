/**
 * Runs on: any thread (main thread, sink workers).
 *
 * LZ4 frame decompression (github.com/lz4/lz4, doc/lz4_Frame_format.md and
 * lz4_Block_format.md), the LZ4 of Kafka's record batch v2. Blocks are decoded into one output,
 * so a block may refer back into the ones before it (linked blocks). Checksums are skipped:
 * the batch's CRC-32C already covers these bytes.
 */
import { TributaryError } from '../../errors.js';

const MAGIC = 0x184d2204;

function corrupt(why: string): TributaryError {
  return new TributaryError('CORRUPT_RECORD', `lz4 data is corrupt: ${why}`);
}

class Output {
  buf: Buffer;
  length = 0;
  constructor(
    size: number,
    private readonly maxBytes: number,
  ) {
    this.buf = Buffer.allocUnsafe(Math.min(size, maxBytes));
  }
  ensure(n: number): void {
    const need = this.length + n;
    if (need > this.maxBytes) throw new TributaryError('CORRUPT_RECORD', `lz4 data inflates past the limit of ${this.maxBytes} bytes`);
    if (need <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(Math.min(this.maxBytes, Math.max(need, this.buf.length * 2)));
    this.buf.copy(grown, 0, 0, this.length);
    this.buf = grown;
  }
}

export function lz4Decompress(src: Buffer, maxBytes: number): Buffer {
  if (src.length < 7 || src.readUInt32LE(0) !== MAGIC) throw corrupt('no LZ4 frame magic');
  const flg = src[4];
  if (flg >> 6 !== 1) throw corrupt(`frame version ${flg >> 6}`);
  const blockChecksum = (flg & 0x10) !== 0;
  const contentSize = (flg & 0x08) !== 0;
  const dictId = (flg & 0x01) !== 0;
  let pos = 6 + (contentSize ? 8 : 0) + (dictId ? 4 : 0) + 1; // FLG, BD, options, header checksum
  const out = new Output(src.length * 4, maxBytes);
  for (;;) {
    if (pos + 4 > src.length) throw corrupt('truncated block size');
    const word = src.readUInt32LE(pos);
    pos += 4;
    if (word === 0) break; // end mark; an optional content checksum follows
    const size = word & 0x7fffffff;
    if (pos + size > src.length) throw corrupt('block overruns the frame');
    if (word & 0x80000000) {
      out.ensure(size);
      src.copy(out.buf, out.length, pos, pos + size);
      out.length += size;
    } else {
      decodeBlock(src, pos, pos + size, out);
    }
    pos += size + (blockChecksum ? 4 : 0);
  }
  return out.buf.subarray(0, out.length);
}

function decodeBlock(src: Buffer, pos: number, end: number, out: Output): void {
  while (pos < end) {
    const token = src[pos++];
    let literals = token >>> 4;
    if (literals === 15) {
      let b: number;
      do {
        if (pos >= end) throw corrupt('truncated literal length');
        b = src[pos++];
        literals += b;
      } while (b === 255);
    }
    if (pos + literals > end) throw corrupt('literals overrun the block');
    out.ensure(literals);
    src.copy(out.buf, out.length, pos, pos + literals);
    out.length += literals;
    pos += literals;
    if (pos >= end) return; // the last sequence has literals only
    if (pos + 2 > end) throw corrupt('truncated match offset');
    const offset = src.readUInt16LE(pos);
    pos += 2;
    let n = (token & 15) + 4;
    if ((token & 15) === 15) {
      let b: number;
      do {
        if (pos >= end) throw corrupt('truncated match length');
        b = src[pos++];
        n += b;
      } while (b === 255);
    }
    if (offset === 0 || offset > out.length) throw corrupt('match outside the output');
    out.ensure(n);
    const buf = out.buf;
    let o = out.length;
    // Byte by byte: a match may overlap the bytes it produces (a run).
    for (let i = 0; i < n; i++, o++) buf[o] = buf[o - offset];
    out.length = o;
  }
}
