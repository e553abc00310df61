import { spawnSync } from 'node:child_process';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { TributaryError } from '../../src/errors.js';
import { decompressRecords, snappyCompress } from '../../src/log/compression.js';
import { clientAvailable, PYTHON } from '../kafka/helpers.js';

const text = Buffer.from(Array.from({ length: 2000 }, (_, i) => `record ${i % 37} `.repeat(1 + (i % 3))).join('|'));

/** LZ4 frame of `data` as literal-only blocks: valid LZ4 any decoder must read. */
function lz4Literals(data: Buffer, blockSize: number): Buffer {
  const parts = [Buffer.from([0x04, 0x22, 0x4d, 0x18, 0x60, 0x40, 0x82])];
  for (let pos = 0; pos < data.length; pos += blockSize) {
    const chunk = data.subarray(pos, pos + blockSize);
    const n = chunk.length;
    const lengthBytes: number[] = [];
    if (n >= 15) {
      let rest = n - 15;
      while (rest >= 255) {
        lengthBytes.push(255);
        rest -= 255;
      }
      lengthBytes.push(rest);
    }
    const block = Buffer.concat([Buffer.from([Math.min(n, 15) << 4, ...lengthBytes]), chunk]);
    const size = Buffer.alloc(4);
    size.writeUInt32LE(block.length);
    parts.push(size, block);
  }
  parts.push(Buffer.alloc(4));
  return Buffer.concat(parts);
}

function xerial(blocks: Buffer[]): Buffer {
  const header = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00, 0, 0, 0, 1, 0, 0, 0, 1]);
  return Buffer.concat([header, ...blocks.flatMap((b) => [Buffer.from([0, 0, 0, 0].map((_, i) => (b.length >>> (24 - 8 * i)) & 0xff)), b])]);
}

/** A zstd frame (no content size, a 1 KiB window unless given) of the given blocks: [type, size, content]. */
function zstdFrame(blocks: [type: 0 | 1, size: number, content: Buffer][], windowDescriptor = 0): Buffer {
  const parts: Buffer[] = [Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, windowDescriptor])];
  blocks.forEach(([type, size, content], i) => {
    const header = Buffer.alloc(3);
    header.writeUIntLE((size << 3) | (type << 1) | (i === blocks.length - 1 ? 1 : 0), 0, 3);
    parts.push(header, content);
  });
  return Buffer.concat(parts);
}

function corruptError(fn: () => unknown): TributaryError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(TributaryError);
    expect((err as TributaryError).code).toBe('CORRUPT_RECORD');
    return err as TributaryError;
  }
  throw new Error('expected CORRUPT_RECORD');
}

describe('the record batch compression codecs', () => {
  it('inflates gzip, raw snappy, xerial-framed snappy (as Java clients send it), LZ4 frames and zstd frames', () => {
    expect(decompressRecords(1, gzipSync(text)).equals(text)).toBe(true);
    expect(decompressRecords(2, snappyCompress(text)).equals(text)).toBe(true);
    const half = text.length >> 1;
    expect(decompressRecords(2, xerial([snappyCompress(text.subarray(0, half)), snappyCompress(text.subarray(half))])).equals(text)).toBe(true);
    expect(decompressRecords(3, lz4Literals(text, 4096)).equals(text)).toBe(true);
    // Two LZ4 frames back to back read as their concatenation, as the lz4 tool reads them.
    expect(decompressRecords(3, Buffer.concat([lz4Literals(text.subarray(0, half), 4096), lz4Literals(text.subarray(half), 4096)])).equals(text)).toBe(true);
    // zstd on every runtime (Node 20's zlib has none): a raw block and a run-length block.
    const zstd = zstdFrame([
      [0, 6, Buffer.from('hello ')],
      [1, 5, Buffer.from('z')],
    ]);
    expect(decompressRecords(4, zstd).toString()).toBe('hello zzzzz');
  });

  const hasReferenceLibraries = clientAvailable(PYTHON, ['-c', 'import zstandard, lz4.frame, snappy'], 'python3-zstandard, python3-lz4 and python3-snappy');
  it.runIf(hasReferenceLibraries)('inflates what the reference libraries write: zstd streamed without a content size (as Java clients send it), LZ4 frames with linked blocks and checksums', () => {
    // libzstd's streaming compressor at level 3 and 19, liblz4 with 64 KiB linked blocks, python-snappy's raw block.
    const script = `import sys, base64, zstandard, lz4.frame, snappy
d = sys.stdin.buffer.read()
def stream(level):
    c = zstandard.ZstdCompressor(level=level).compressobj()
    return c.compress(d) + c.flush()
for b in (stream(3), stream(19), zstandard.ZstdCompressor().compress(d), lz4.frame.compress(d, block_size=lz4.frame.BLOCKSIZE_MAX64KB, block_linked=True, content_checksum=True, block_checksum=True), snappy.compress(d)):
    print(base64.b64encode(b).decode())`;
    const big = Buffer.concat(Array.from({ length: 40 }, () => text));
    const out = spawnSync(PYTHON, ['-c', script], { input: big, maxBuffer: 1 << 28 });
    expect(out.status, out.stderr?.toString()).toBe(0);
    const [zstd3, zstd19, zstdSized, lz4, snappy] = out.stdout.toString().trim().split('\n').map((l) => Buffer.from(l, 'base64'));
    expect(zstd3[4] & 0xc0).toBe(0); // no content size: fzstd's windowed path
    for (const [codec, data] of [[4, zstd3], [4, zstd19], [4, zstdSized], [3, lz4], [2, snappy]] as const) {
      expect(decompressRecords(codec, data).equals(big)).toBe(true);
    }
  });

  it('refuses truncated or garbled input and output past the limit with CORRUPT_RECORD, never more', () => {
    const snappy = snappyCompress(text);
    corruptError(() => decompressRecords(2, snappy.subarray(0, snappy.length - 5)));
    corruptError(() => decompressRecords(3, lz4Literals(text, 4096).subarray(0, 100)));
    corruptError(() => decompressRecords(1, Buffer.from('not gzip at all')));
    expect(corruptError(() => decompressRecords(2, snappy, 1000)).message).toMatch(/over the limit of 1000/);
    expect(corruptError(() => decompressRecords(3, lz4Literals(text, 4096), 1000)).message).toMatch(/limit of 1000/);
    corruptError(() => decompressRecords(7, snappy));
    corruptError(() => decompressRecords(4, Buffer.from('not zstd at all')));
    corruptError(() => decompressRecords(4, zstdFrame([[0, 6, Buffer.from('hello ')]]).subarray(0, 10)));
  });

  it('refuses a bomb from its headers, before inflating it: zstd run-length blocks, a huge zstd window, LZ4 blocks', () => {
    // 4 KiB of input that would inflate to 512 MiB.
    const runs = zstdFrame(Array.from({ length: 4096 }, () => [1, 128 * 1024, Buffer.from('x')] as [1, number, Buffer]));
    expect(corruptError(() => decompressRecords(4, runs)).message).toMatch(/over the limit of 268435456/);
    // A window of 2 GiB (exponent 21) that fzstd would allocate.
    const window = zstdFrame([[0, 1, Buffer.from('x')]], 21 << 3);
    expect(corruptError(() => decompressRecords(4, window)).message).toMatch(/inflates to 2147483648 bytes or more/);
    expect(corruptError(() => decompressRecords(4, zstdFrame([[1, 5000, Buffer.from('x')]]), 1000)).message).toMatch(/limit of 1000/);
    // 64 MiB of window moved along for each of 40 one-byte blocks: refused for its cost, not its size.
    const costly = zstdFrame(Array.from({ length: 40 }, () => [1, 1, Buffer.from('x')] as [1, number, Buffer]), 16 << 3);
    expect(corruptError(() => decompressRecords(4, costly)).message).toMatch(/too costly to inflate/);
  });
});
