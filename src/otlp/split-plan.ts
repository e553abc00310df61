// Runs on: ingest worker.
import { IntList } from './int-list.js';
import { SIGNAL_FIELD } from './field-numbers.js';
import type { TopicKind } from './signals.js';
import { LEN } from './wire-reader.js';
import { putVarint, varintSize } from './wire-writer.js';

/** The one-byte tags of a rebuilt Resource* entry in its request and Scope* entry in its Resource*. */
const RESOURCE_ENTRY_TAG = (SIGNAL_FIELD.resourceEntries << 3) | LEN;
const SCOPE_ENTRY_TAG = (SIGNAL_FIELD.scopeEntries << 3) | LEN;

const nestedSize = (content: number) => 1 + varintSize(content) + content;

/** A run of a group's items in one resource or scope, as `runEnd` found it: how many, and their bytes. */
class Run {
  length = 0;
  bytes = 0;
}

/**
 * Where each record of a split request lies in the request, as flat tables of numbers instead of
 * objects per span: resources and scopes (the whole field and their other fields, "heads"), the
 * accepted items, and the groups (one record each: topic, key, its items in request order as a
 * linked list). A record's bytes are written straight from the request into their final place
 * (`writeValue`), after `valueSize` has laid the group out: the payload is copied once.
 *
 * One plan is reused by every request of a thread (see `splitRequest`): it keeps no bytes.
 */
export class SplitPlan {
  /** Per resource: whole start, whole end, first head, end of heads (indexes into `resourceHeads`), items seen. */
  readonly resources = new IntList();
  /** Per scope: the same five numbers, heads in `scopeHeads`. */
  readonly scopes = new IntList();
  /** [start, end) pairs of the resources' other fields (a resource's are contiguous). */
  readonly resourceHeads = new IntList();
  readonly scopeHeads = new IntList();
  /** Per accepted item: resource, scope, start, end, next item of its group (-1 for the last). */
  readonly items = new IntList();
  readonly topics: TopicKind[] = [];
  /** Record key per group: lowercase hex (a trace id or a resource digest). */
  readonly keys: string[] = [];
  /** Per group: first item, last item, first entry in `sizes` (set by `valueSize`). */
  readonly groups = new IntList();
  /** Per group: what its items count for (spans, data points, log records), for partial_success. */
  readonly weights = new IntList();
  /** Partition per group, set by the caller once the keys are known. */
  readonly partitions = new IntList();
  /** Content sizes of the partial resources and scopes of each group, in the order `writeValue` meets them. */
  private readonly sizes = new IntList();
  /** What the last `runEnd` passed over; one per plan, so that sizing and writing allocate nothing. */
  private readonly run = new Run();

  get groupCount(): number {
    return this.topics.length;
  }

  clear(): void {
    this.resources.clear();
    this.scopes.clear();
    this.resourceHeads.clear();
    this.scopeHeads.clear();
    this.items.clear();
    this.topics.length = 0;
    this.keys.length = 0;
    this.groups.clear();
    this.weights.clear();
    this.partitions.clear();
    this.sizes.clear();
  }

  addGroup(topic: TopicKind, key: string): number {
    this.topics.push(topic);
    this.keys.push(key);
    this.groups.push(-1);
    this.groups.push(-1);
    this.groups.push(-1);
    this.weights.push(0);
    return this.topics.length - 1;
  }

  /** Appends an item, counting for `weight` items, to group `g`. */
  addItem(g: number, resource: number, scope: number, start: number, end: number, weight: number): void {
    this.weights.data[g] += weight;
    const items = this.items;
    const item = items.length / 5;
    items.push(resource);
    items.push(scope);
    items.push(start);
    items.push(end);
    items.push(-1);
    const groups = this.groups.data;
    const last = groups[3 * g + 1];
    if (last < 0) groups[3 * g] = item;
    else items.data[5 * last + 4] = item;
    groups[3 * g + 1] = item;
  }

  /**
   * Size of group `g`'s record value (an Export*ServiceRequest), noting the sizes `writeValue`
   * needs. A resource (or scope) whose items all belong to the group is copied whole; otherwise
   * it is rebuilt from its other fields and the group's items.
   */
  valueSize(g: number): number {
    const items = this.items.data;
    const resources = this.resources.data;
    const scopes = this.scopes.data;
    const sizes = this.sizes;
    const run = this.run;
    this.groups.data[3 * g + 2] = sizes.length;
    let total = 0;
    let it = this.groups.data[3 * g];
    while (it >= 0) {
      const r = items[5 * it];
      const partEnd = runEnd(items, it, RESOURCE, -1, run);
      if (run.length === resources[5 * r + 4]) {
        total += resources[5 * r + 1] - resources[5 * r];
        it = partEnd;
        continue;
      }
      const slot = sizes.length;
      sizes.push(0);
      let content = headsSize(resources, r, this.resourceHeads.data);
      while (it !== partEnd) {
        const s = items[5 * it + 1];
        it = runEnd(items, it, SCOPE, partEnd, run);
        if (run.length === scopes[5 * s + 4]) content += scopes[5 * s + 1] - scopes[5 * s];
        else {
          const scopeContent = headsSize(scopes, s, this.scopeHeads.data) + run.bytes;
          sizes.push(scopeContent);
          content += nestedSize(scopeContent);
        }
      }
      sizes.data[slot] = content;
      total += nestedSize(content);
    }
    return total;
  }

  /** Writes group `g`'s record value (sized by `valueSize` first) from `request` at `pos` of `out`; returns the end. */
  writeValue(g: number, request: Uint8Array, out: Uint8Array, pos: number): number {
    const items = this.items.data;
    const resources = this.resources.data;
    const scopes = this.scopes.data;
    const sizes = this.sizes.data;
    const run = this.run;
    let next = this.groups.data[3 * g + 2];
    let it = this.groups.data[3 * g];
    while (it >= 0) {
      const r = items[5 * it];
      const partEnd = runEnd(items, it, RESOURCE, -1, run);
      if (run.length === resources[5 * r + 4]) {
        pos = copy(request, resources[5 * r], resources[5 * r + 1], out, pos);
        it = partEnd;
        continue;
      }
      out[pos++] = RESOURCE_ENTRY_TAG;
      pos = putVarint(out, pos, sizes[next++]);
      pos = writeHeads(resources, r, this.resourceHeads.data, request, out, pos);
      while (it !== partEnd) {
        const s = items[5 * it + 1];
        const scopeEnd = runEnd(items, it, SCOPE, partEnd, run);
        if (run.length === scopes[5 * s + 4]) {
          pos = copy(request, scopes[5 * s], scopes[5 * s + 1], out, pos);
          it = scopeEnd;
          continue;
        }
        out[pos++] = SCOPE_ENTRY_TAG;
        pos = putVarint(out, pos, sizes[next++]);
        pos = writeHeads(scopes, s, this.scopeHeads.data, request, out, pos);
        // Items that follow one another in the request are copied as one slice.
        while (it !== scopeEnd) {
          const start = items[5 * it + 2];
          let end = items[5 * it + 3];
          it = items[5 * it + 4];
          while (it !== scopeEnd && items[5 * it + 2] === end) {
            end = items[5 * it + 3];
            it = items[5 * it + 4];
          }
          pos = copy(request, start, end, out, pos);
        }
      }
    }
    return pos;
  }
}

/** Columns of `SplitPlan.items`. */
const RESOURCE = 0;
const SCOPE = 1;

/**
 * The first item from `it` on (following the group's links, up to `stop`) in another resource or
 * scope than `it`'s; the items passed are counted in `run`.
 */
function runEnd(items: Int32Array, it: number, column: number, stop: number, run: Run): number {
  const value = items[5 * it + column];
  let length = 0;
  let bytes = 0;
  while (it !== stop && items[5 * it + column] === value) {
    length++;
    bytes += items[5 * it + 3] - items[5 * it + 2];
    it = items[5 * it + 4];
  }
  run.length = length;
  run.bytes = bytes;
  return it;
}

function headsSize(table: Int32Array, i: number, heads: Int32Array): number {
  let n = 0;
  for (let h = table[5 * i + 2]; h < table[5 * i + 3]; h += 2) n += heads[h + 1] - heads[h];
  return n;
}

function writeHeads(table: Int32Array, i: number, heads: Int32Array, request: Uint8Array, out: Uint8Array, pos: number): number {
  for (let h = table[5 * i + 2]; h < table[5 * i + 3]; h += 2) pos = copy(request, heads[h], heads[h + 1], out, pos);
  return pos;
}

/** Short slices (heads, small spans) are copied by a loop: `set` would need a view object each. */
const SHORT_COPY = 64;

function copy(from: Uint8Array, start: number, end: number, to: Uint8Array, pos: number): number {
  if (end - start < SHORT_COPY) {
    for (let i = start; i < end; i++) to[pos++] = from[i];
    return pos;
  }
  to.set(from.subarray(start, end), pos);
  return pos + end - start;
}
