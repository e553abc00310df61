// Runs in: the browser (the web console).
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { Series } from '../sampler.js';

const COLORS = ['#2563eb', '#db2777', '#16a34a', '#ea580c', '#7c3aed', '#0891b2', '#ca8a04', '#dc2626'];
const HEIGHT = 200;
/** Lines drawn at most: with hundreds of topics or groups, the busiest (a legend of hundreds would push the page below it away). */
const MAX_LINES = 8;

interface ChartProps {
  title: string;
  series: Series;
  /** What the y values are, e.g. "records/s". */
  unit: string;
  /** What each line is, plural (e.g. "topics"), for the note when only the busiest are drawn. */
  lineNoun?: string;
}

/** The MAX_LINES names whose values add up highest over the window (ties by name). */
function busiest(series: Series): string[] {
  const names = [...series.lines.keys()];
  if (names.length <= MAX_LINES) return names;
  const total = (n: string) => series.lines.get(n)!.reduce<number>((sum, v) => sum + (v ?? 0), 0);
  const totals = new Map(names.map((n) => [n, total(n)]));
  return names
    .sort((a, b) => totals.get(b)! - totals.get(a)! || a.localeCompare(b))
    .slice(0, MAX_LINES)
    .sort();
}

/** A small time-series chart (uPlot); it is rebuilt when the set of lines changes, else only fed data. */
export function Chart({ title, series, unit, lineNoun = 'lines' }: ChartProps) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const names = busiest(series);
  const key = names.join('\n');
  const data: uPlot.AlignedData = [series.times, ...names.map((n) => series.lines.get(n)!)];

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const options: uPlot.Options = {
      width: Math.max(el.clientWidth, 200),
      height: HEIGHT,
      series: [{}, ...names.map((name, i) => ({ label: name, stroke: COLORS[i % COLORS.length], width: 2, spanGaps: false }))],
      axes: [{}, { label: unit, size: 60 }],
      legend: { live: false },
      cursor: { drag: { x: false, y: false } },
    };
    const chart = new uPlot(options, data, el);
    plot.current = chart;
    const resize = new ResizeObserver(() => chart.setSize({ width: Math.max(el.clientWidth, 200), height: HEIGHT }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      chart.destroy();
      plot.current = null;
    };
  }, [key, unit]);

  useEffect(() => {
    plot.current?.setData(data);
  });

  return (
    <figure class="chart" aria-label={title}>
      <figcaption>
        {title}
        {names.length < series.lines.size ? <span class="muted"> · the {names.length} busiest of {series.lines.size} {lineNoun}</span> : null}
      </figcaption>
      {series.times.length < 2 ? <p class="muted">Collecting samples… the chart fills in every few seconds while this page is open.</p> : null}
      <div ref={box} class="chart-plot" />
    </figure>
  );
}
