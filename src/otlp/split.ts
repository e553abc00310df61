import { TributaryError } from '../errors.js';
import type { MessageSpec } from './schema.js';
import type { TopicKind } from './signals.js';
import { checkField, checkMessage } from './validate.js';
import { LEN, WireReader } from './wire-reader.js';
import { putVarint, varintSize } from './wire-writer.js';

/**
 * Splits an Export{Trace,Metrics,Logs}ServiceRequest into self-contained requests at the wire
 * level. The three signals share one shape: request field 1 holds Resource{Spans,Metrics,Logs},
 * whose field 2 holds Scope*, whose field 2 holds the items (spans, metrics, log records).
 * Each item is placed in a group (a record: topic + key) by a signal-specific classifier; every
 * group is rebuilt from slices of the original bytes (its resources and scopes keep every other
 * field as sent), and a resource whose items all land in one group is copied whole.
 */

/** Where an item goes, or why it is rejected (a string). */
export type Placement = { topic: TopicKind; key: string; weight: number } | string;

export interface ResourceContext {
  /** The encoded Resource message (field 1 of Resource*), when present. */
  resource: Uint8Array | undefined;
  /** Per-resource memo for the classifier (e.g. the resource key). */
  memo: string | undefined;
  /** The last placement a classifier made, and where its key lies in the request, to reuse for equal keys. */
  previous?: { at: number; placement: Placement };
}

export interface SplitSignal {
  /** Resource{Spans,Metrics,Logs} and Scope{Spans,Metrics,Logs}: their other fields are checked. */
  resourceSpec: MessageSpec;
  scopeSpec: MessageSpec;
  itemSpec: MessageSpec;
  /** Singular item name for messages, e.g. 'span'. */
  itemName: string;
  classify(buf: Buffer, start: number, end: number, resource: ResourceContext): Placement;
  /** Items an unparseable item counts for in partial_success. */
  rejectedWeight?: (buf: Buffer, start: number, end: number) => number;
}

export interface SplitRecord {
  topic: TopicKind;
  key: string;
  /** Where the record's value lies in `SplitResult.buffer`. */
  offset: number;
  length: number;
}

export interface SplitResult {
  records: SplitRecord[];
  /** All record values back to back; a fresh ArrayBuffer, so it can be transferred. */
  buffer: ArrayBuffer;
  /** Items stored per topic kind (spans, data points, log records, events). */
  accepted: Partial<Record<TopicKind, number>>;
  rejected: number;
  /** Why items were rejected, for partial_success; empty when none were. */
  rejectionMessage: string;
}

interface Slice {
  start: number;
  end: number;
}

interface ScopeInfo {
  whole: Slice;
  head: Slice[];
  /** Items seen, rejected ones included. */
  items: number;
}

interface ResourceInfo {
  whole: Slice;
  head: Slice[];
  items: number;
  scopes: ScopeInfo[];
}

interface Run {
  resource: number;
  scope: number;
  /** Consecutive items are merged into one slice, so slices can be fewer than items. */
  items: Slice[];
  count: number;
}

interface Group {
  topic: TopicKind;
  key: string;
  runs: Run[];
}

const TAG_FIELD_1 = 0x0a;
const TAG_FIELD_2 = 0x12;

export function splitRequest(buf: Buffer, signal: SplitSignal): SplitResult {
  const groups = new Map<string, Group>();
  const resources: ResourceInfo[] = [];
  const accepted: Partial<Record<TopicKind, number>> = {};
  const rejections = new Map<string, number>();
  let rejected = 0;
  // A classifier that hands back the same placement for the next item spares the group lookup.
  let lastPlacement: Placement | undefined;
  let lastGroup: Group | undefined;

  const request = new WireReader(buf, 0, buf.length);
  while (request.next()) {
    if (request.field !== 1) continue;
    expectLen(request, 'resource');
    const index = resources.length;
    const info: ResourceInfo = { whole: { start: request.tagStart, end: request.valueEnd }, head: [], items: 0, scopes: [] };
    resources.push(info);
    const context: ResourceContext = { resource: undefined, memo: undefined };
    const res = new WireReader(buf, request.valueStart, request.valueEnd);
    while (res.next()) {
      if (res.field !== 2) {
        checkField(res, signal.resourceSpec);
        info.head.push({ start: res.tagStart, end: res.valueEnd });
        if (res.field === 1 && res.wireType === LEN) context.resource = res.bytes();
        continue;
      }
      expectLen(res, 'scope');
      const scope: ScopeInfo = { whole: { start: res.tagStart, end: res.valueEnd }, head: [], items: 0 };
      const scopeIndex = info.scopes.length;
      info.scopes.push(scope);
      const sc = new WireReader(buf, res.valueStart, res.valueEnd);
      while (sc.next()) {
        if (sc.field !== 2) {
          checkField(sc, signal.scopeSpec);
          scope.head.push({ start: sc.tagStart, end: sc.valueEnd });
          continue;
        }
        expectLen(sc, signal.itemName);
        // Counted before validation: a scope or resource holding a rejected item is never copied whole.
        scope.items++;
        info.items++;
        const placement = place(buf, sc.valueStart, sc.valueEnd, signal, context);
        if (typeof placement === 'string') {
          const weight = signal.rejectedWeight?.(buf, sc.valueStart, sc.valueEnd) ?? 1;
          rejected += weight;
          rejections.set(placement, (rejections.get(placement) ?? 0) + weight);
          continue;
        }
        accepted[placement.topic] = (accepted[placement.topic] ?? 0) + placement.weight;
        let group = placement === lastPlacement ? lastGroup : undefined;
        if (!group) {
          const groupId = `${placement.topic}/${placement.key}`;
          group = groups.get(groupId) ?? { topic: placement.topic, key: placement.key, runs: [] };
          groups.set(groupId, group);
        }
        lastPlacement = placement;
        lastGroup = group;
        const last = group.runs[group.runs.length - 1];
        if (last && last.resource === index && last.scope === scopeIndex) {
          last.count++;
          const previous = last.items[last.items.length - 1];
          if (previous.end === sc.tagStart) previous.end = sc.valueEnd;
          else last.items.push({ start: sc.tagStart, end: sc.valueEnd });
        } else {
          group.runs.push({ resource: index, scope: scopeIndex, items: [{ start: sc.tagStart, end: sc.valueEnd }], count: 1 });
        }
      }
    }
  }
  return { ...writeGroups(buf, [...groups.values()], resources), accepted, rejected, rejectionMessage: describe(rejections, signal) };
}

function place(buf: Buffer, start: number, end: number, signal: SplitSignal, context: ResourceContext): Placement {
  try {
    checkMessage(buf, start, end, signal.itemSpec);
  } catch (err) {
    return `malformed ${signal.itemName}: ${(err as Error).message}`;
  }
  return signal.classify(buf, start, end, context);
}

function expectLen(r: WireReader, what: string): void {
  if (r.wireType !== LEN) throw new TributaryError('INVALID_REQUEST', `malformed protobuf at byte ${r.tagStart}: ${what} field ${r.field} is not a message`);
}

function describe(rejections: Map<string, number>, signal: SplitSignal): string {
  return [...rejections].map(([reason, count]) => `${count} ${signal.itemName}${count === 1 ? '' : 's'} rejected: ${reason}`).join('; ');
}

/** A group laid out as nested messages: sizes first, then one pass of copying. */
interface Part {
  resource: ResourceInfo;
  whole: boolean;
  contentSize: number;
  scopes: { scope: ScopeInfo; whole: boolean; contentSize: number; items: Slice[]; count: number }[];
}

const size = (s: Slice) => s.end - s.start;
const sumSizes = (slices: Slice[]) => slices.reduce((n, s) => n + size(s), 0);
const nestedSize = (content: number) => 1 + varintSize(content) + content;

function layout(group: Group, resources: ResourceInfo[]): { parts: Part[]; total: number } {
  const parts: Part[] = [];
  for (const run of group.runs) {
    const resource = resources[run.resource];
    let part = parts[parts.length - 1];
    if (!part || part.resource !== resource) {
      part = { resource, whole: false, contentSize: 0, scopes: [] };
      parts.push(part);
    }
    const scope = resource.scopes[run.scope];
    part.scopes.push({ scope, whole: run.count === scope.items, contentSize: 0, items: run.items, count: run.count });
  }
  let total = 0;
  for (const part of parts) {
    const items = part.scopes.reduce((n, s) => n + s.count, 0);
    part.whole = items === part.resource.items;
    if (part.whole) {
      total += size(part.resource.whole);
      continue;
    }
    part.contentSize = sumSizes(part.resource.head);
    for (const s of part.scopes) {
      if (s.whole) {
        part.contentSize += size(s.scope.whole);
      } else {
        s.contentSize = sumSizes(s.scope.head) + sumSizes(s.items);
        part.contentSize += nestedSize(s.contentSize);
      }
    }
    total += nestedSize(part.contentSize);
  }
  return { parts, total };
}

function writeGroups(buf: Buffer, groups: Group[], resources: ResourceInfo[]): { records: SplitRecord[]; buffer: ArrayBuffer } {
  const layouts = groups.map((g) => layout(g, resources));
  const buffer = new ArrayBuffer(layouts.reduce((n, l) => n + l.total, 0));
  const out = new Uint8Array(buffer);
  let pos = 0;
  const copy = (s: Slice) => {
    pos += buf.copy(out, pos, s.start, s.end);
  };
  const open = (tag: number, content: number) => {
    out[pos++] = tag;
    pos = putVarint(out, pos, content);
  };
  const records = groups.map((group, i): SplitRecord => {
    const offset = pos;
    for (const part of layouts[i].parts) {
      if (part.whole) {
        copy(part.resource.whole);
        continue;
      }
      open(TAG_FIELD_1, part.contentSize);
      part.resource.head.forEach(copy);
      for (const s of part.scopes) {
        if (s.whole) {
          copy(s.scope.whole);
          continue;
        }
        open(TAG_FIELD_2, s.contentSize);
        s.scope.head.forEach(copy);
        s.items.forEach(copy);
      }
    }
    return { topic: group.topic, key: group.key, offset, length: pos - offset };
  });
  return { records, buffer };
}
