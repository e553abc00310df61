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

/**
 * The plan's tables are flat rows of numbers: each row is `*_ROW` numbers wide, and these name
 * its columns. `resources` and `scopes` share one layout: where the whole entry lies, its heads
 * (indexes into `resourceHeads` or `scopeHeads`), and how many items it has.
 */
const ENTRY_ROW = 5;
const ENTRY_START = 0;
const ENTRY_END = 1;
const ENTRY_HEADS_START = 2;
const ENTRY_HEADS_END = 3;
const ENTRY_ITEMS = 4;
/** `resourceHeads` and `scopeHeads`: one [start, end) pair per head. */
const HEAD_ROW = 2;
const HEAD_START = 0;
const HEAD_END = 1;
/** `items`: resource and scope row, where the item lies, and the next item of its group (-1 for the last). */
const ITEM_ROW = 5;
const ITEM_RESOURCE = 0;
const ITEM_SCOPE = 1;
const ITEM_START = 2;
const ITEM_END = 3;
const ITEM_NEXT = 4;
/** `groups`: first item, last item, first entry in `sizes`. */
const GROUP_ROW = 3;
const GROUP_FIRST = 0;
const GROUP_LAST = 1;
const GROUP_SIZES = 2;

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
  /** Per resource, ENTRY_* columns: whole start and end, first and end head (indexes into `resourceHeads`), items seen. */
  readonly resources = new IntList();
  /** Per scope: the same columns, heads in `scopeHeads`. */
  readonly scopes = new IntList();
  /** HEAD_* rows: [start, end) of the resources' other fields (a resource's are contiguous). */
  readonly resourceHeads = new IntList();
  readonly scopeHeads = new IntList();
  /** Per accepted item, ITEM_* columns: resource, scope, start, end, next item of its group (-1 for the last). */
  readonly items = new IntList();
  readonly topics: TopicKind[] = [];
  /** Record key per group: lowercase hex (a trace id or a resource digest). */
  readonly keys: string[] = [];
  /** Per group, GROUP_* columns: first item, last item, first entry in `sizes` (set by `valueSize`). */
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

  /** A resource entry from `start` to `end`, with no heads or items yet; returns its row. */
  addResource(start: number, end: number): number {
    return addEntry(this.resources, this.resourceHeads, start, end);
  }

  /** A scope entry, as `addResource`. */
  addScope(start: number, end: number): number {
    return addEntry(this.scopes, this.scopeHeads, start, end);
  }

  /** One of the other fields (a head) of resource `row`, the last one added. */
  addResourceHead(row: number, start: number, end: number): void {
    addHead(this.resources, this.resourceHeads, row, start, end);
  }

  /** One of the other fields of scope `row`, the last one added. */
  addScopeHead(row: number, start: number, end: number): void {
    addHead(this.scopes, this.scopeHeads, row, start, end);
  }

  /** Counts an item, accepted or not, in its resource and scope: one holding a rejected item is never copied whole. */
  countItem(resource: number, scope: number): void {
    this.resources.data[ENTRY_ROW * resource + ENTRY_ITEMS]++;
    this.scopes.data[ENTRY_ROW * scope + ENTRY_ITEMS]++;
  }

  addGroup(topic: TopicKind, key: string): number {
    this.topics.push(topic);
    this.keys.push(key);
    // GROUP_FIRST, GROUP_LAST, GROUP_SIZES: none yet.
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
    const item = items.length / ITEM_ROW;
    // In column order: ITEM_RESOURCE, ITEM_SCOPE, ITEM_START, ITEM_END, ITEM_NEXT.
    items.push(resource);
    items.push(scope);
    items.push(start);
    items.push(end);
    items.push(-1);
    const groups = this.groups.data;
    const last = groups[GROUP_ROW * g + GROUP_LAST];
    if (last < 0) groups[GROUP_ROW * g + GROUP_FIRST] = item;
    else items.data[ITEM_ROW * last + ITEM_NEXT] = item;
    groups[GROUP_ROW * g + GROUP_LAST] = item;
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
    this.groups.data[GROUP_ROW * g + GROUP_SIZES] = sizes.length;
    let total = 0;
    let it = this.groups.data[GROUP_ROW * g + GROUP_FIRST];
    while (it >= 0) {
      const r = items[ITEM_ROW * it + ITEM_RESOURCE];
      const partEnd = runEnd(items, it, ITEM_RESOURCE, -1, run);
      if (run.length === resources[ENTRY_ROW * r + ENTRY_ITEMS]) {
        total += resources[ENTRY_ROW * r + ENTRY_END] - resources[ENTRY_ROW * r + ENTRY_START];
        it = partEnd;
        continue;
      }
      const slot = sizes.length;
      sizes.push(0);
      let content = headsSize(resources, r, this.resourceHeads.data);
      while (it !== partEnd) {
        const s = items[ITEM_ROW * it + ITEM_SCOPE];
        it = runEnd(items, it, ITEM_SCOPE, partEnd, run);
        if (run.length === scopes[ENTRY_ROW * s + ENTRY_ITEMS]) content += scopes[ENTRY_ROW * s + ENTRY_END] - scopes[ENTRY_ROW * s + ENTRY_START];
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
    let next = this.groups.data[GROUP_ROW * g + GROUP_SIZES];
    let it = this.groups.data[GROUP_ROW * g + GROUP_FIRST];
    while (it >= 0) {
      const r = items[ITEM_ROW * it + ITEM_RESOURCE];
      const partEnd = runEnd(items, it, ITEM_RESOURCE, -1, run);
      if (run.length === resources[ENTRY_ROW * r + ENTRY_ITEMS]) {
        pos = copy(request, resources[ENTRY_ROW * r + ENTRY_START], resources[ENTRY_ROW * r + ENTRY_END], out, pos);
        it = partEnd;
        continue;
      }
      out[pos++] = RESOURCE_ENTRY_TAG;
      pos = putVarint(out, pos, sizes[next++]);
      pos = writeHeads(resources, r, this.resourceHeads.data, request, out, pos);
      while (it !== partEnd) {
        const s = items[ITEM_ROW * it + ITEM_SCOPE];
        const scopeEnd = runEnd(items, it, ITEM_SCOPE, partEnd, run);
        if (run.length === scopes[ENTRY_ROW * s + ENTRY_ITEMS]) {
          pos = copy(request, scopes[ENTRY_ROW * s + ENTRY_START], scopes[ENTRY_ROW * s + ENTRY_END], out, pos);
          it = scopeEnd;
          continue;
        }
        out[pos++] = SCOPE_ENTRY_TAG;
        pos = putVarint(out, pos, sizes[next++]);
        pos = writeHeads(scopes, s, this.scopeHeads.data, request, out, pos);
        // Items that follow one another in the request are copied as one slice.
        while (it !== scopeEnd) {
          const start = items[ITEM_ROW * it + ITEM_START];
          let end = items[ITEM_ROW * it + ITEM_END];
          it = items[ITEM_ROW * it + ITEM_NEXT];
          while (it !== scopeEnd && items[ITEM_ROW * it + ITEM_START] === end) {
            end = items[ITEM_ROW * it + ITEM_END];
            it = items[ITEM_ROW * it + ITEM_NEXT];
          }
          pos = copy(request, start, end, out, pos);
        }
      }
    }
    return pos;
  }
}

/**
 * The first item from `it` on (following the group's links, up to `stop`) in another resource or
 * scope than `it`'s (`column` is ITEM_RESOURCE or ITEM_SCOPE); the items passed are counted in `run`.
 */
function runEnd(items: Int32Array, it: number, column: number, stop: number, run: Run): number {
  const value = items[ITEM_ROW * it + column];
  let length = 0;
  let bytes = 0;
  while (it !== stop && items[ITEM_ROW * it + column] === value) {
    length++;
    bytes += items[ITEM_ROW * it + ITEM_END] - items[ITEM_ROW * it + ITEM_START];
    it = items[ITEM_ROW * it + ITEM_NEXT];
  }
  run.length = length;
  run.bytes = bytes;
  return it;
}

/** A row of `table` (resources or scopes) whose heads go in `heads`: none yet, no items yet. */
function addEntry(table: IntList, heads: IntList, start: number, end: number): number {
  const row = table.length / ENTRY_ROW;
  // In column order: ENTRY_START, ENTRY_END, ENTRY_HEADS_START, ENTRY_HEADS_END, ENTRY_ITEMS.
  table.push(start);
  table.push(end);
  table.push(heads.length);
  table.push(heads.length);
  table.push(0);
  return row;
}

/** Appends a head of `row`, the last row of `table`: its heads stay contiguous. */
function addHead(table: IntList, heads: IntList, row: number, start: number, end: number): void {
  heads.push(start);
  heads.push(end);
  table.data[ENTRY_ROW * row + ENTRY_HEADS_END] = heads.length;
}

/** The bytes of the heads of row `i` of `table` (resources or scopes). */
function headsSize(table: Int32Array, i: number, heads: Int32Array): number {
  let n = 0;
  for (let h = table[ENTRY_ROW * i + ENTRY_HEADS_START]; h < table[ENTRY_ROW * i + ENTRY_HEADS_END]; h += HEAD_ROW) n += heads[h + HEAD_END] - heads[h + HEAD_START];
  return n;
}

function writeHeads(table: Int32Array, i: number, heads: Int32Array, request: Uint8Array, out: Uint8Array, pos: number): number {
  for (let h = table[ENTRY_ROW * i + ENTRY_HEADS_START]; h < table[ENTRY_ROW * i + ENTRY_HEADS_END]; h += HEAD_ROW) pos = copy(request, heads[h + HEAD_START], heads[h + HEAD_END], out, pos);
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
