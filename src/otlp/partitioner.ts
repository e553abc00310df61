// Runs on: ingest worker.
import { createHash } from 'node:crypto';
import { IntList } from './int-list.js';
import { FIELD } from './schema.js';
import { WireReader } from './wire-reader.js';

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

/** Where the attributes of the resource being keyed lie, as [start, end) pairs: reused by every call. */
const attributeBounds = new IntList();
const attributeReader = new WireReader(new Uint8Array(0), 0, 0);

/** Resources with more attributes than this are keyed in the order sent (see `resourceKey`). */
const MAX_SORTED_ATTRIBUTES = 1024;

/**
 * The record key of a resource: a hex digest of its attributes (Resource field 1), sorted
 * byte-wise first so that the same attributes in another order give the same key.
 * `resource` is the encoded Resource message, or undefined when the request has none.
 * Attributes are sorted as offsets and hashed in one piece: a resource of millions of tiny
 * attributes (a few KB of gzip) cost an object each, gigabytes and seconds. Past
 * MAX_SORTED_ATTRIBUTES (no SDK sends that many) they are not sorted at all, which keeps the
 * split linear in the request: such a resource sent in another order only gets another key.
 */
export function resourceKey(resource: Uint8Array | undefined): string {
  const bounds = attributeBounds;
  bounds.clear();
  let bytes = 0;
  if (resource) {
    const r = attributeReader.reset(resource, 0, resource.length);
    while (r.next()) {
      if (r.field !== FIELD.Resource.attributes) continue;
      bounds.push(r.valueStart);
      bounds.push(r.valueEnd);
      bytes += 4 + r.valueEnd - r.valueStart;
    }
  }
  const count = bounds.length / 2;
  const at = bounds.data;
  const order = new Uint32Array(count);
  for (let i = 0; i < count; i++) order[i] = 2 * i;
  if (resource && count <= MAX_SORTED_ATTRIBUTES) order.sort((a, b) => compareBytes(resource, at[a], at[a + 1], at[b], at[b + 1]));
  // The attributes in order, each after its length (4 bytes, big-endian): one update of the hash.
  const hashed = Buffer.allocUnsafe(bytes);
  let pos = 0;
  for (let i = 0; i < count; i++) {
    const start = at[order[i]];
    const end = at[order[i] + 1];
    pos = hashed.writeUInt32BE(end - start, pos);
    for (let b = start; b < end; b++) hashed[pos++] = resource![b];
  }
  return createHash('sha256').update(hashed).digest('hex').slice(0, 32);
}

/** `Buffer.compare` of two slices of `buf`, without a view object each. */
function compareBytes(buf: Uint8Array, aStart: number, aEnd: number, bStart: number, bEnd: number): number {
  const length = Math.min(aEnd - aStart, bEnd - bStart);
  for (let i = 0; i < length; i++) {
    const d = buf[aStart + i] - buf[bStart + i];
    if (d !== 0) return d;
  }
  return aEnd - aStart - (bEnd - bStart);
}
