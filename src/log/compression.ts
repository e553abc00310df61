/**
 * Runs on: any thread (main thread, sink workers).
 *
 * The compression codecs of Kafka's record batch (attributes bits 0-2): Kafka producers may
 * send compressed batches, which the log stores as they are; whatever reads records out of the
 * log inflates them here. gzip and zstd come from Node's zlib (zstd from Node 22.15 on), snappy
 * and LZ4 from the decoders in codecs/.
 */
import * as zlib from 'node:zlib';
import { TributaryError } from '../errors.js';
import { lz4Decompress } from './codecs/lz4-decode.js';
import { snappyDecompress } from './codecs/snappy-decode.js';

export const COMPRESSION_MASK = 0x07;
export const CODEC_NAMES = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;

/** A decompressed batch's records may not pass this, whatever the compressed size: a bomb stops here. */
export const MAX_DECOMPRESSED_BYTES = 256 * 1024 * 1024;

type Inflate = (body: Uint8Array, options: { maxOutputLength: number }) => Buffer;
const zstdDecompressSync = (zlib as unknown as { zstdDecompressSync?: Inflate }).zstdDecompressSync;

/** Whether records compressed with this codec (attributes & 7) can be read on this runtime. */
export function codecReadable(codec: number): boolean {
  return codec >= 0 && codec <= 3 ? true : codec === 4 && typeof zstdDecompressSync === 'function';
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
        if (zstdDecompressSync) return zstdDecompressSync(data, { maxOutputLength: maxBytes });
        throw new TributaryError('CORRUPT_RECORD', 'zstd-compressed records need Node.js 22.15 or newer to be read');
      default:
        throw new TributaryError('CORRUPT_RECORD', `unknown compression codec ${codec}`);
    }
  } catch (err) {
    if (err instanceof TributaryError) throw err;
    throw new TributaryError('CORRUPT_RECORD', `${name}-compressed records cannot be inflated: ${(err as Error).message}`, { cause: err });
  }
}
