// Runs on: ingest worker.
import { crc32c } from '@node-rs/crc32';
import { corrupt, overLimit, snappyBlock } from '../log/compression.js';

/**
 * Snappy's framing format (github.com/google/snappy, framing_format.txt): a stream identifier
 * chunk ("sNaPpY"), then chunks of at most 64 KiB of data each, compressed (a snappy block) or
 * not, each with the masked CRC-32C of its data. It is what the OpenTelemetry Collector's HTTP
 * clients send under `Content-Encoding: snappy` (and `x-snappy-framed`), where the name alone
 * would mean one raw block: the first bytes tell them apart, as the Collector's own server does.
 */
const STREAM_IDENTIFIER = Buffer.from([0xff, 0x06, 0x00, 0x00, 0x73, 0x4e, 0x61, 0x50, 0x70, 0x59]);
const COMPRESSED = 0x00;
const UNCOMPRESSED = 0x01;
const MAX_CHUNK_DATA = 65536;

/** A snappy request body, framed or one raw block, inflated to at most `maxBytes`. */
export function snappyBody(input: Buffer, maxBytes: number): Buffer {
  if (!isFramed(input)) return snappyBlock(input, maxBytes);
  const chunks: Buffer[] = [];
  let total = 0;
  for (let pos = 0; pos < input.length; ) {
    if (pos + 4 > input.length) throw corrupt('snappy', 'truncated chunk header');
    const type = input[pos];
    const length = input.readUIntLE(pos + 1, 3);
    const start = pos + 4;
    pos = start + length;
    if (pos > input.length) throw corrupt('snappy', 'a chunk runs past the end of the stream');
    // The stream identifier (again, where streams were joined), padding and skippable chunks.
    if (type >= 0x80) continue;
    if (type !== COMPRESSED && type !== UNCOMPRESSED) throw corrupt('snappy', `unskippable chunk type 0x${type.toString(16)}`);
    if (length < 4) throw corrupt('snappy', 'a data chunk without its checksum');
    const stored = input.subarray(start + 4, pos);
    const data = type === COMPRESSED ? snappyBlock(stored, maxBytes - total) : stored;
    if (data.length > MAX_CHUNK_DATA) throw corrupt('snappy', 'a chunk holds more than 64 KiB');
    total += data.length;
    if (total > maxBytes) throw overLimit('snappy', total, maxBytes);
    if (maskedCrc(data) !== input.readUInt32LE(start)) throw corrupt('snappy', 'a chunk fails its CRC-32C');
    chunks.push(data);
  }
  return Buffer.concat(chunks, total);
}

function isFramed(input: Buffer): boolean {
  return input.length >= STREAM_IDENTIFIER.length && input.subarray(0, STREAM_IDENTIFIER.length).equals(STREAM_IDENTIFIER);
}

/** The framing format's checksum: CRC-32C rotated and offset, so a CRC of data holding CRCs is not trivial. */
function maskedCrc(data: Buffer): number {
  const crc = crc32c(data);
  return (((crc >>> 15) | (crc << 17)) + 0xa282ead8) >>> 0;
}
