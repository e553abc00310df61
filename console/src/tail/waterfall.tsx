// Runs in: the browser (the web console).
import { Clipped } from '../components/clipped.js';
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

interface Row {
  span: SpanItem;
  depth: number;
}

/**
 * Each span once, parents before their children, siblings by start time. A span whose parent is not
 * here is a root; so is the earliest span of parent links that loop (a span naming itself as its
 * parent, or two naming each other: malformed data that must not hide spans or break the page).
 */
function treeOrder(spans: SpanItem[]): Row[] {
  const sorted = [...spans].sort((a, b) => a.startUs - b.startUs);
  const byId = new Map<string, SpanItem>();
  for (const s of sorted) if (!byId.has(s.spanId)) byId.set(s.spanId, s);
  const children = new Map<SpanItem, SpanItem[]>();
  const roots: SpanItem[] = [];
  for (const s of sorted) {
    const parent = byId.get(s.parentSpanId);
    if (!parent || parent === s) roots.push(s);
    else {
      const list = children.get(parent);
      if (list) list.push(s);
      else children.set(parent, [s]);
    }
  }
  const out: Row[] = [];
  const placed = new Set<SpanItem>();
  const walk = (span: SpanItem, depth: number) => {
    if (placed.has(span)) return;
    placed.add(span);
    out.push({ span, depth });
    for (const c of children.get(span) ?? []) walk(c, depth + 1);
  };
  for (const r of roots) walk(r, 0);
  for (const s of sorted) walk(s, 0);
  return out;
}

/** One trace as a waterfall: a row per span, indented under its parent, its bar placed in the trace's time. */
export function Waterfall({ trace }: { trace: Trace }) {
  const ordered = treeOrder(trace.spans);
  const start = Math.min(...trace.spans.map((s) => s.startUs));
  const end = Math.max(...trace.spans.map((s) => s.endUs));
  const total = Math.max(end - start, 1);
  const root = ordered[0].span;
  const services = [...new Set(trace.spans.map((s) => s.service))];
  const failed = trace.spans.some((s) => s.error);
  return (
    <article class={`trace${failed ? ' failed' : ''}`} data-trace={trace.traceId} aria-label={`Trace ${root.name}`}>
      <header>
        <strong>
          <Clipped text={root.name} limit={200} />
        </strong>
        <span class="muted">
          {formatTime(start / 1000)} · {formatMicros(total)} · {trace.spans.length} spans · {services.join(', ')}
        </span>
        <code class="muted" title="trace id">
          {trace.traceId.slice(0, 16)}
        </code>
      </header>
      <ol class="waterfall">
        {ordered.map(({ span: s, depth }) => (
          <li key={s.id} class={s.error ? 'error' : ''} data-span={s.name}>
            <span class="span-label" style={{ paddingLeft: `${depth * 0.9}rem` }}>
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
