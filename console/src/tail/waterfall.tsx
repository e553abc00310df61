// Runs in: the browser (the web console).
import { formatMicros, formatTime } from '../format.js';
import type { SpanItem } from './otlp.js';

export interface Trace {
  traceId: string;
  spans: SpanItem[];
}

/** Spans by trace, the most recently received trace first. */
export function tracesOf(spans: SpanItem[]): Trace[] {
  const byId = new Map<string, SpanItem[]>();
  for (let i = spans.length - 1; i >= 0; i--) {
    const s = spans[i];
    const list = byId.get(s.traceId);
    if (list) list.push(s);
    else byId.set(s.traceId, [s]);
  }
  return [...byId].map(([traceId, list]) => ({ traceId, spans: list }));
}

/** Each span's depth under its trace's root(s); a span whose parent is not here counts as a root. */
function depths(spans: SpanItem[]): Map<string, number> {
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  const depth = new Map<string, number>();
  const of = (s: SpanItem, seen: number): number => {
    const known = depth.get(s.spanId);
    if (known !== undefined) return known;
    const parent = byId.get(s.parentSpanId);
    // `seen` stops a cycle in malformed data.
    const d = parent && seen < spans.length ? of(parent, seen + 1) + 1 : 0;
    depth.set(s.spanId, d);
    return d;
  };
  for (const s of spans) of(s, 0);
  return depth;
}

/** Parents before their children, siblings by start time. */
function treeOrder(spans: SpanItem[], depth: Map<string, number>): SpanItem[] {
  const children = new Map<string, SpanItem[]>();
  const roots: SpanItem[] = [];
  for (const s of [...spans].sort((a, b) => a.startUs - b.startUs)) {
    if (depth.get(s.spanId) === 0) roots.push(s);
    else {
      const list = children.get(s.parentSpanId) ?? [];
      list.push(s);
      children.set(s.parentSpanId, list);
    }
  }
  const out: SpanItem[] = [];
  const walk = (s: SpanItem) => {
    out.push(s);
    for (const c of children.get(s.spanId) ?? []) walk(c);
  };
  roots.forEach(walk);
  return out;
}

/** One trace as a waterfall: a row per span, indented under its parent, its bar placed in the trace's time. */
export function Waterfall({ trace }: { trace: Trace }) {
  const depth = depths(trace.spans);
  const ordered = treeOrder(trace.spans, depth);
  const start = Math.min(...trace.spans.map((s) => s.startUs));
  const end = Math.max(...trace.spans.map((s) => s.endUs));
  const total = Math.max(end - start, 1);
  const root = ordered[0];
  const services = [...new Set(trace.spans.map((s) => s.service))];
  const failed = trace.spans.some((s) => s.error);
  return (
    <article class={`trace${failed ? ' failed' : ''}`} data-trace={trace.traceId} aria-label={`Trace ${root.name}`}>
      <header>
        <strong>{root.name}</strong>
        <span class="muted">
          {formatTime(start / 1000)} · {formatMicros(total)} · {trace.spans.length} spans · {services.join(', ')}
        </span>
        <code class="muted" title="trace id">
          {trace.traceId.slice(0, 16)}
        </code>
      </header>
      <ol class="waterfall">
        {ordered.map((s) => (
          <li key={s.spanId} class={s.error ? 'error' : ''} data-span={s.name}>
            <span class="span-label" style={{ paddingLeft: `${(depth.get(s.spanId) ?? 0) * 0.9}rem` }}>
              <span class="service">{s.service}</span> {s.name}
              {s.error ? <span class="badge bad">{s.statusMessage || 'error'}</span> : null}
            </span>
            <span class="span-track">
              <span
                class="span-bar"
                style={{ left: `${((s.startUs - start) / total) * 100}%`, width: `${Math.max(((s.endUs - s.startUs) / total) * 100, 0.5)}%` }}
              />
            </span>
            <span class="span-duration">{formatMicros(s.endUs - s.startUs)}</span>
          </li>
        ))}
      </ol>
    </article>
  );
}
