// Runs on: ingest worker; the receiver's main thread uses its encoding names.
import * as zlib from 'node:zlib';
import { bufferOf } from '../buffer-of.js';
import { TributaryError } from '../errors.js';
import { lz4Decompress, zstdDecompress } from '../log/compression.js';
import { snappyBody } from './snappy-stream.js';

/**
 * The body encodings the receiver inflates: gzip, the one the OTLP specification names, and
 * every other compression the OpenTelemetry Collector's HTTP exporters offer (their
 * Content-Encoding names map to these in src/receiver/otlp-handler.ts).
 */
export type ContentEncoding = 'identity' | 'gzip' | 'deflate' | 'zstd' | 'snappy' | 'lz4';

type Inflate = (body: Uint8Array, options: { maxOutputLength: number }) => Buffer;

/** Node's zlib has zstd from 22.15 on; older runtimes inflate it with the log's bounded fzstd path. */
const zstdDecompressSync = (zlib as unknown as { zstdDecompressSync?: Inflate }).zstdDecompressSync;

/**
 * Inflates a request body, refusing with PAYLOAD_TOO_LARGE as soon as the output passes
 * `maxBytes`: zlib stops at the limit, so a gzip bomb is never inflated whole.
 * `deflate` is the zlib format by HTTP's definition; raw deflate is accepted too. `snappy` is
 * snappy's framing format or one raw block; `lz4` is LZ4 frames.
 */
export function decompress(body: Uint8Array, encoding: ContentEncoding, maxBytes: number): Uint8Array {
  if (encoding === 'identity') return body;
  const options = { maxOutputLength: Math.max(1, maxBytes) };
  try {
    if (encoding === 'gzip') return zlib.gunzipSync(body, { ...options, chunkSize: gzipChunkSize(body, maxBytes) });
    if (encoding === 'zstd') {
      return zstdDecompressSync ? zstdDecompressSync(body, options) : zstdDecompress(bufferOf(body), maxBytes);
    }
    if (encoding === 'snappy') return snappyBody(bufferOf(body), maxBytes);
    if (encoding === 'lz4') return lz4Decompress(bufferOf(body), maxBytes);
    try {
      return zlib.inflateSync(body, options);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'Z_DATA_ERROR') throw err;
      return zlib.inflateRawSync(body, options);
    }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ERR_BUFFER_TOO_LARGE' || (err instanceof TributaryError && err.details?.limit !== undefined)) {
      throw new TributaryError('PAYLOAD_TOO_LARGE', `the ${encoding} body inflates past the limit of ${maxBytes} bytes`, { cause: err });
    }
    throw new TributaryError('INVALID_REQUEST', `the body is not valid ${encoding}: ${(err as Error).message}`, { cause: err });
  }
}

/** Largest output chunk to size from a gzip trailer: the trailer is the sender's word, not a fact. */
const MAX_GZIP_CHUNK = 4 << 20;

/**
 * gzip's trailer gives the inflated size (of the last member, mod 2^32): with an output chunk of
 * that size zlib writes the body in one piece, instead of 16 KB chunks joined by a copy at the end.
 * Only a hint: a wrong size costs chunks, never correctness.
 */
function gzipChunkSize(body: Uint8Array, maxBytes: number): number | undefined {
  if (body.length < 18) return undefined;
  const end = body.length;
  const size = (body[end - 4] | (body[end - 3] << 8) | (body[end - 2] << 16) | (body[end - 1] << 24)) >>> 0;
  // One byte more than the body, so zlib does not allocate another chunk to look for more output.
  return Math.max(zlib.constants.Z_MIN_CHUNK, Math.min(size + 1, maxBytes + 1, MAX_GZIP_CHUNK));
}
