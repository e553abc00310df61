import { createHash } from 'node:crypto';
import { forEachField } from './wire-reader.js';

/** Kafka's murmur2 (org.apache.kafka.common.utils.Utils.murmur2), as its default partitioner uses it. */
export function murmur2(data: Uint8Array, start = 0, end = data.length): number {
  const length = end - start;
  const m = 0x5bd1e995;
  let h = 0x9747b28c ^ length;
  const length4 = length >>> 2;
  for (let i = 0; i < length4; i++) {
    const i4 = start + i * 4;
    let k = data[i4] | (data[i4 + 1] << 8) | (data[i4 + 2] << 16) | (data[i4 + 3] << 24);
    k = Math.imul(k, m);
    k ^= k >>> 24;
    k = Math.imul(k, m);
    h = Math.imul(h, m) ^ k;
  }
  const tail = start + (length & ~3);
  const rest = length & 3;
  if (rest === 3) h ^= data[tail + 2] << 16;
  if (rest >= 2) h ^= data[tail + 1] << 8;
  if (rest >= 1) h = Math.imul(h ^ data[tail], m);
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}

/** The partition Kafka's default partitioner picks for a keyed record. */
export function partitionForKey(key: Uint8Array, partitions: number, start = 0, end = key.length): number {
  return (murmur2(key, start, end) & 0x7fffffff) % partitions;
}

/** Holds a hex key's bytes for hashing, so none is allocated per record. */
let keyBytes = Buffer.alloc(64);

/** `partitionForKey` for a key held as a hex (so one byte per character) string. */
export function partitionForHexKey(key: string, partitions: number): number {
  if (key.length > keyBytes.length) keyBytes = Buffer.alloc(key.length);
  return partitionForKey(keyBytes, partitions, 0, keyBytes.write(key, 0, 'latin1'));
}

/**
 * The record key of a resource: a hex digest of its attributes (Resource field 1), sorted
 * byte-wise first so that the same attributes in another order give the same key.
 * `resource` is the encoded Resource message, or undefined when the request has none.
 */
export function resourceKey(resource: Uint8Array | undefined): string {
  const attributes: Buffer[] = [];
  if (resource) {
    forEachField(resource, 0, resource.length, (r) => {
      if (r.field === 1) attributes.push(Buffer.from(r.buf.buffer, r.buf.byteOffset + r.valueStart, r.valueEnd - r.valueStart));
    });
  }
  attributes.sort(Buffer.compare);
  const hash = createHash('sha256');
  for (const a of attributes) hash.update(lengthPrefix(a.length)).update(a);
  return hash.digest('hex').slice(0, 32);
}

function lengthPrefix(n: number): Uint8Array {
  return Uint8Array.of(n >>> 24, n >>> 16, n >>> 8, n);
}
