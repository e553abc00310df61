/**
 * Runs on: any thread (main thread, sink workers).
 *
 * Snappy decompression (github.com/google/snappy, format_description.txt) as Kafka producers
 * send it in a record batch: a raw snappy block (librdkafka, franz-go), or the xerial framing
 * Java clients write (a magic header, then blocks each behind a 32-bit big-endian length).
 */
import { TributaryError } from '../../errors.js';

const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const XERIAL_HEADER = 16; // magic, version, compatible version

function corrupt(why: string): TributaryError {
  return new TributaryError('CORRUPT_RECORD', `snappy data is corrupt: ${why}`);
}

export function snappyDecompress(input: Buffer, maxBytes: number): Buffer {
  if (input.length >= XERIAL_HEADER && input.subarray(0, 8).equals(XERIAL_MAGIC)) {
    const blocks: Buffer[] = [];
    let total = 0;
    let pos = XERIAL_HEADER;
    while (pos < input.length) {
      if (pos + 4 > input.length) throw corrupt('truncated xerial block length');
      const n = input.readInt32BE(pos);
      pos += 4;
      if (n < 0 || pos + n > input.length) throw corrupt('xerial block overruns its input');
      const block = snappyBlock(input.subarray(pos, pos + n), maxBytes - total);
      total += block.length;
      blocks.push(block);
      pos += n;
    }
    return Buffer.concat(blocks, total);
  }
  return snappyBlock(input, maxBytes);
}

/** One raw snappy block: its uncompressed length (uvarint), then literals and back-references. */
function snappyBlock(src: Buffer, maxBytes: number): Buffer {
  let pos = 0;
  let length = 0;
  for (let shift = 0; ; shift += 7) {
    if (pos >= src.length || shift > 28) throw corrupt('bad length preamble');
    const b = src[pos++];
    length += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) break;
  }
  if (length > maxBytes) throw new TributaryError('CORRUPT_RECORD', `snappy data inflates to ${length} bytes, over the limit of ${maxBytes}`);
  const out = Buffer.allocUnsafe(length);
  let o = 0;
  while (pos < src.length) {
    const tag = src[pos++];
    const kind = tag & 3;
    if (kind === 0) {
      let n = tag >>> 2;
      if (n >= 60) {
        const bytes = n - 59;
        if (pos + bytes > src.length) throw corrupt('truncated literal length');
        n = src.readUIntLE(pos, bytes);
        pos += bytes;
      }
      n += 1;
      if (pos + n > src.length || o + n > length) throw corrupt('literal overruns');
      src.copy(out, o, pos, pos + n);
      pos += n;
      o += n;
      continue;
    }
    let n: number;
    let offset: number;
    if (kind === 1) {
      if (pos >= src.length) throw corrupt('truncated copy');
      n = ((tag >>> 2) & 7) + 4;
      offset = ((tag >>> 5) << 8) | src[pos++];
    } else if (kind === 2) {
      if (pos + 2 > src.length) throw corrupt('truncated copy');
      n = (tag >>> 2) + 1;
      offset = src.readUInt16LE(pos);
      pos += 2;
    } else {
      if (pos + 4 > src.length) throw corrupt('truncated copy');
      n = (tag >>> 2) + 1;
      offset = src.readUInt32LE(pos);
      pos += 4;
    }
    if (offset === 0 || offset > o || o + n > length) throw corrupt('copy outside the output');
    // Byte by byte: a copy may overlap the bytes it produces (a run).
    for (let i = 0; i < n; i++, o++) out[o] = out[o - offset];
  }
  if (o !== length) throw corrupt(`decoded ${o} bytes of ${length}`);
  return out;
}
