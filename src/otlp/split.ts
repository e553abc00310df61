// Runs on: ingest worker.
import { SIGNAL_FIELD } from './field-numbers.js';
import { RejectionTally } from './rejections.js';
import type { MessageSpec } from './schema.js';
import type { TopicKind } from './signals.js';
import { SplitPlan } from './split-plan.js';
import { checkField, checkItem, VarintEnd } from './validate.js';
import { LEN, malformed, WireReader } from './wire-reader.js';

/**
 * Splits an Export{Trace,Metrics,Logs}ServiceRequest into self-contained requests at the wire
 * level. The three signals share one shape (SIGNAL_FIELD): the request holds
 * Resource{Spans,Metrics,Logs} entries, which hold Scope* entries, which hold the items (spans,
 * metrics, log records).
 * Each item is placed in a group (a record: topic + key) by a signal-specific classifier; the
 * result is a plan (src/otlp/split-plan.ts) from which every group is later written from slices
 * of the original bytes (its resources and scopes keep every other field as sent).
 */

/** Where an item goes, or why it is rejected (a string). */
export type Placement = { topic: TopicKind; key: string; weight: number } | string;

export interface ResourceContext {
  /** The encoded Resource message of the Resource* entry, when present. */
  resource: Uint8Array | undefined;
  /** Per-resource memo for the classifier (e.g. the resource key). */
  memo: string | undefined;
  /** The last placement a classifier made, and where its key lies in the request, to reuse for equal keys. */
  previousAt: number;
  previous: Placement | undefined;
}

export interface SplitSignal {
  /** Resource{Spans,Metrics,Logs} and Scope{Spans,Metrics,Logs}: their other fields are checked. */
  resourceSpec: MessageSpec;
  scopeSpec: MessageSpec;
  itemSpec: MessageSpec;
  /** Singular item name for messages, e.g. 'span'. */
  itemName: string;
  /** What partial_success counts, singular: the item, or for metrics 'data point'. */
  countName: string;
  classify(buf: Buffer, start: number, end: number, resource: ResourceContext): Placement;
  /** Items an unparseable item counts for in partial_success. */
  rejectedWeight?: (buf: Buffer, start: number, end: number) => number;
}

export interface SplitResult {
  /** Valid until the next call of `splitRequest` in this thread. */
  plan: SplitPlan;
  /** Items stored per topic kind (spans, data points, log records, events). */
  accepted: Partial<Record<TopicKind, number>>;
  rejected: number;
  /** Why items were rejected, for partial_success; empty when none were. */
  rejectionMessage: string;
}

/** Levels of Resource{Spans,Metrics,Logs}, Scope* and the items in a request (the request is 0). */
const RESOURCE_DEPTH = 1;
const SCOPE_DEPTH = 2;
const ITEM_DEPTH = 3;

/** Reused by every request: a request's tables are rebuilt in place, without allocating. */
const plan = new SplitPlan();
const requestReader = new WireReader(new Uint8Array(0), 0, 0);
const resourceReader = new WireReader(new Uint8Array(0), 0, 0);
const scopeReader = new WireReader(new Uint8Array(0), 0, 0);
const varintEnd = new VarintEnd();

export function splitRequest(buf: Buffer, signal: SplitSignal): SplitResult {
  plan.clear();
  const groupIds = new Map<string, number>();
  const accepted: Partial<Record<TopicKind, number>> = {};
  const rejections = new RejectionTally();
  // A classifier that hands back the same placement for the next item spares the group lookup.
  let lastPlacement: Placement | undefined;
  let lastGroup = -1;

  const request = requestReader.reset(buf, 0, buf.length);
  while (request.next()) {
    if (request.field !== SIGNAL_FIELD.resourceEntries) continue;
    expectLen(request, 'resource');
    const index = plan.addResource(request.tagStart, request.valueEnd);
    const context: ResourceContext = { resource: undefined, memo: undefined, previousAt: -1, previous: undefined };
    const res = resourceReader.reset(buf, request.valueStart, request.valueEnd);
    while (res.next()) {
      if (res.field !== SIGNAL_FIELD.scopeEntries) {
        checkField(res, signal.resourceSpec, RESOURCE_DEPTH, varintEnd);
        plan.addResourceHead(index, res.tagStart, res.valueEnd);
        if (res.field === SIGNAL_FIELD.resource && res.wireType === LEN) context.resource = res.bytes();
        continue;
      }
      expectLen(res, 'scope');
      const scopeIndex = plan.addScope(res.tagStart, res.valueEnd);
      const sc = scopeReader.reset(buf, res.valueStart, res.valueEnd);
      while (sc.next()) {
        if (sc.field !== SIGNAL_FIELD.items) {
          checkField(sc, signal.scopeSpec, SCOPE_DEPTH, varintEnd);
          plan.addScopeHead(scopeIndex, sc.tagStart, sc.valueEnd);
          continue;
        }
        expectLen(sc, signal.itemName);
        // Counted before validation: a scope or resource holding a rejected item is never copied whole.
        plan.countItem(index, scopeIndex);
        const problem = checkItem(buf, sc.valueStart, sc.valueEnd, signal.itemSpec, ITEM_DEPTH, varintEnd);
        if (problem !== undefined) {
          rejections.addMalformed(problem, signal.rejectedWeight?.(buf, sc.valueStart, sc.valueEnd) ?? 1);
          continue;
        }
        const placement = signal.classify(buf, sc.valueStart, sc.valueEnd, context);
        if (typeof placement === 'string') {
          rejections.add(placement, signal.rejectedWeight?.(buf, sc.valueStart, sc.valueEnd) ?? 1);
          continue;
        }
        accepted[placement.topic] = (accepted[placement.topic] ?? 0) + placement.weight;
        if (placement !== lastPlacement) {
          const groupId = `${placement.topic}/${placement.key}`;
          lastGroup = groupIds.get(groupId) ?? -1;
          if (lastGroup < 0) {
            lastGroup = plan.addGroup(placement.topic, placement.key);
            groupIds.set(groupId, lastGroup);
          }
          lastPlacement = placement;
        }
        plan.addItem(lastGroup, index, scopeIndex, sc.tagStart, sc.valueEnd, placement.weight);
      }
    }
  }
  return { plan, accepted, rejected: rejections.total, rejectionMessage: rejections.message(signal.itemName, signal.countName) };
}

function expectLen(r: WireReader, what: string): void {
  if (r.wireType !== LEN) throw malformed(r.tagStart, `${what} field ${r.field} is not a message`);
}
