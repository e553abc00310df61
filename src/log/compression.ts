/**
 * Runs on: any thread (main thread, sink workers; the receiver's ingest workers for request bodies).
 *
 * The compression codecs of Kafka's record batch (attributes bits 0-2): Kafka producers may
 * send compressed batches, which the log stores as they are; whatever reads records out of the
 * log inflates them here. The codecs are packages, not ours: gzip from Node's zlib, snappy from
 * the napi-rs `snappy`, LZ4 frames from `lz4-napi`, zstd from `fzstd` (pure JS, so zstd reads on
 * Node 20 too, whose zlib has none). None of the three packages takes an output limit, so before
 * handing bytes over this file reads the format's own headers (snappy's length preamble, the
 * LZ4 frame's block size, the zstd frame's window and block sizes) and refuses whatever could
 * inflate past the limit: a bomb is refused before anything is allocated for it.
 */
import * as zlib from 'node:zlib';
import { decompress as fzstdDecompress } from 'fzstd';
import { decompressFrameSync as lz4DecompressFrame } from 'lz4-napi';
import { compressSync as snappyCompressSync, uncompressSync as snappyUncompressSync } from 'snappy';
import { TributaryError } from '../errors.js';

export const COMPRESSION_MASK = 0x07;
export const CODEC_NAMES = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;

/** A decompressed batch's records may not pass this, whatever the compressed size: a bomb stops here. */
const MAX_DECOMPRESSED_BYTES = 256 * 1024 * 1024;

/** Whether records compressed with this codec (attributes & 7) can be read: every codec Kafka has. */
export function codecReadable(codec: number): boolean {
  return codec >= 0 && codec <= 4;
}

/** The records section of a batch compressed with `codec`, inflated. */
export function decompressRecords(codec: number, data: Buffer, maxBytes = MAX_DECOMPRESSED_BYTES): Buffer {
  const name = CODEC_NAMES[codec] ?? `codec ${codec}`;
  try {
    switch (codec) {
      case 1:
        return zlib.gunzipSync(data, { maxOutputLength: maxBytes });
      case 2:
        return snappyDecompress(data, maxBytes);
      case 3:
        return lz4Decompress(data, maxBytes);
      case 4:
        return zstdDecompress(data, maxBytes);
      default:
        throw new TributaryError('CORRUPT_RECORD', `unknown compression codec ${codec}`);
    }
  } catch (err) {
    if (err instanceof TributaryError) throw err;
    throw new TributaryError('CORRUPT_RECORD', `${name}-compressed records cannot be inflated: ${(err as Error).message}`, { cause: err });
  }
}

/** Raw (block) snappy, as Prometheus remote write requires. */
export function snappyCompress(data: Uint8Array): Buffer {
  return snappyCompressSync(data);
}

export function corrupt(codec: string, why: string): TributaryError {
  return new TributaryError('CORRUPT_RECORD', `${codec} data is corrupt: ${why}`);
}

export function overLimit(codec: string, bytes: number, maxBytes: number): TributaryError {
  // details.limit tells a caller with its own status for "too large" (the receiver's 413) from corrupt data.
  return new TributaryError('CORRUPT_RECORD', `${codec} data inflates to ${bytes} bytes or more, over the limit of ${maxBytes}`, { details: { limit: maxBytes } });
}

const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const XERIAL_HEADER = 16; // magic, version, compatible version

/**
 * Snappy as Kafka producers send it: a raw snappy block (librdkafka, franz-go), or the xerial
 * framing Java clients and kafka-python write (a magic header, then raw blocks each behind a
 * 32-bit big-endian length).
 */
function snappyDecompress(input: Buffer, maxBytes: number): Buffer {
  if (!(input.length >= XERIAL_HEADER && input.subarray(0, 8).equals(XERIAL_MAGIC))) return snappyBlock(input, maxBytes);
  const blocks: Buffer[] = [];
  let total = 0;
  for (let pos = XERIAL_HEADER; pos < input.length; ) {
    if (pos + 4 > input.length) throw corrupt('snappy', 'truncated xerial block length');
    const n = input.readInt32BE(pos);
    pos += 4;
    if (n < 0 || pos + n > input.length) throw corrupt('snappy', 'xerial block overruns its input');
    const block = snappyBlock(input.subarray(pos, pos + n), maxBytes - total);
    total += block.length;
    blocks.push(block);
    pos += n;
  }
  return Buffer.concat(blocks, total);
}

/** One raw snappy block; its preamble (a uvarint) is the length it inflates to. */
export function snappyBlock(block: Buffer, maxBytes: number): Buffer {
  let length = 0;
  for (let pos = 0, shift = 0; ; pos++, shift += 7) {
    if (pos >= block.length || shift > 28) throw corrupt('snappy', 'bad length preamble');
    length += (block[pos] & 0x7f) * 2 ** shift;
    if (block[pos] < 0x80) break;
  }
  if (length > maxBytes) throw overLimit('snappy', length, maxBytes);
  return snappyUncompressSync(block, { asBuffer: true }) as Buffer;
}

const LZ4_MAGIC = 0x184d2204;
const LZ4_BLOCK_MAX = [0, 0, 0, 0, 64 << 10, 256 << 10, 1 << 20, 4 << 20];

/**
 * LZ4 frames (the LZ4 of record batch v2). Each frame is walked first: a block inflates to at most
 * the frame's block maximum size, so their sum bounds the output. lz4-napi reads one frame per
 * call, so concatenated frames are handed over one by one.
 */
export function lz4Decompress(input: Buffer, maxBytes: number): Buffer {
  const frames: Buffer[] = [];
  let bound = 0;
  for (let pos = 0; pos < input.length; ) {
    if (pos + 7 > input.length || input.readUInt32LE(pos) !== LZ4_MAGIC) throw corrupt('lz4', 'no LZ4 frame magic');
    const start = pos;
    const flg = input[pos + 4];
    const blockMax = LZ4_BLOCK_MAX[(input[pos + 5] >> 4) & 7];
    if (flg >> 6 !== 1 || !blockMax) throw corrupt('lz4', 'unknown frame version or block size');
    const blockChecksum = (flg & 0x10) !== 0;
    pos += 6 + (flg & 0x08 ? 8 : 0) + (flg & 0x01 ? 4 : 0) + 1; // FLG, BD, content size, dictionary id, header checksum
    for (;;) {
      if (pos + 4 > input.length) throw corrupt('lz4', 'truncated block size');
      const word = input.readUInt32LE(pos);
      pos += 4;
      if (word === 0) break;
      const size = word & 0x7fffffff;
      bound += word & 0x80000000 ? size : blockMax;
      if (bound > maxBytes) throw overLimit('lz4', bound, maxBytes);
      pos += size + (blockChecksum ? 4 : 0);
    }
    pos += flg & 0x04 ? 4 : 0; // content checksum
    if (pos > input.length) throw corrupt('lz4', 'block overruns the frame');
    frames.push(lz4DecompressFrame(input.subarray(start, pos)));
  }
  return frames.length === 1 ? frames[0] : Buffer.concat(frames);
}

const ZSTD_MAGIC = 0xfd2fb528;
/**
 * A window this large is always allowed (what fzstd allocates; the output is bounded by the blocks):
 * zstd's format asks decoders to take at least 8 MiB, and a streaming encoder picks its window
 * before it knows how small its input is.
 */
const ZSTD_WINDOW_ALLOWED = 8 * 1024 * 1024;
const ZSTD_BLOCK_MAX = 128 << 10;
/**
 * fzstd inflates a frame without a content size through its window, moved along once per block:
 * window size × blocks bytes copied. Past this (about a second), the frame is refused: a few KiB
 * of tiny blocks behind a huge window would otherwise hold the thread for minutes. Producers'
 * frames stay far below (librdkafka and Java's level 3: a 2 MiB window, 128 KiB blocks).
 */
const ZSTD_MAX_WINDOW_COPY = 2 * 1024 ** 3;

/**
 * zstd frames, each walked first: its window (what fzstd allocates) and the sum of its blocks'
 * sizes (raw and RLE blocks say what they inflate to, a compressed block at most the block
 * maximum) must stay under the limit, and so must the copying of the window. Skippable frames are
 * passed over.
 */
export function zstdDecompress(input: Buffer, maxBytes: number): Buffer {
  let bound = 0;
  let slack = false;
  for (let pos = 0; pos < input.length; ) {
    if (pos + 8 > input.length) throw corrupt('zstd', 'truncated frame header');
    const magic = input.readUInt32LE(pos);
    if ((magic & 0xfffffff0) === 0x184d2a50) {
      pos += 8 + input.readUInt32LE(pos + 4);
      continue;
    }
    if (magic !== ZSTD_MAGIC) throw corrupt('zstd', 'no zstd frame magic');
    const fhd = input[pos + 4];
    const singleSegment = (fhd & 0x20) !== 0;
    const fcsBytes = [singleSegment ? 1 : 0, 2, 4, 8][fhd >> 6];
    const dictBytes = [0, 1, 2, 4][fhd & 3];
    let window = 0;
    pos += 5;
    if (!singleSegment) {
      const exponent = input[pos] >> 3;
      window = 2 ** (10 + exponent) * (1 + (input[pos] & 7) / 8);
      pos += 1;
    }
    pos += dictBytes;
    if (pos + fcsBytes > input.length) throw corrupt('zstd', 'truncated frame header');
    let contentSize = fcsBytes === 8 ? Number(input.readBigUInt64LE(pos)) : fcsBytes ? input.readUIntLE(pos, fcsBytes) : 0;
    if (fcsBytes === 2) contentSize += 256;
    pos += fcsBytes;
    if (singleSegment) window = contentSize;
    if (window > Math.max(maxBytes, ZSTD_WINDOW_ALLOWED)) throw overLimit('zstd', window, maxBytes);
    if (contentSize > maxBytes) throw overLimit('zstd', contentSize, maxBytes);
    const blockMax = Math.min(window, ZSTD_BLOCK_MAX);
    for (let last = false, blocks = 1; !last; blocks++) {
      if (pos + 3 > input.length) throw corrupt('zstd', 'truncated block header');
      const header = input.readUIntLE(pos, 3);
      last = (header & 1) === 1;
      const type = (header >> 1) & 3;
      const size = header >>> 3;
      bound += type === 2 ? blockMax : size;
      // A compressed block says only that it holds at most a block: one such block of slack, and the output is measured after.
      if (bound - (type === 2 || slack ? blockMax : 0) > maxBytes) throw overLimit('zstd', bound, maxBytes);
      slack ||= type === 2;
      if (contentSize === 0 && blocks * window > ZSTD_MAX_WINDOW_COPY) {
        throw new TributaryError('CORRUPT_RECORD', `zstd frame has no content size and ${blocks} blocks or more behind a window of ${window} bytes: too costly to inflate`);
      }
      pos += 3 + (type === 1 ? 1 : size);
    }
    pos += fhd & 0x04 ? 4 : 0; // content checksum
  }
  const out = fzstdDecompress(input);
  if (out.length > maxBytes) throw overLimit('zstd', out.length, maxBytes);
  return Buffer.from(out.buffer, out.byteOffset, out.length);
}
