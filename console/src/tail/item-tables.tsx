// Runs in: the browser (the web console).
import { Clipped } from '../components/clipped.js';
import { formatTime } from '../format.js';
import type { LogItem, MetricPointItem } from './otlp.js';

/** Rows shown per table: the newest. */
const SHOWN = 200;

function severityTone(n: number): string {
  if (n >= 17) return 'bad';
  if (n >= 13) return 'warn';
  if (n >= 9) return 'ok';
  return '';
}

/** Log records and events, newest first: time, severity, service, event name, body. */
export function LogTable({ logs }: { logs: LogItem[] }) {
  const shown = logs.slice(-SHOWN).reverse();
  return (
    <div class="table-wrap">
      <table class="log-table">
        <thead>
          <tr>
            <th>Time</th>
            <th>Severity</th>
            <th>Service</th>
            <th>Event</th>
            <th>Body</th>
            <th class="num">Where</th>
          </tr>
        </thead>
        <tbody>
          {shown.map((l) => (
            <tr key={l.id} data-kind={l.kind}>
              <td class="mono">{formatTime(l.timeMs)}</td>
              <td>{l.severity ? <span class={`badge ${severityTone(l.severityNumber)}`}>{l.severity}</span> : '–'}</td>
              <td>{l.service}</td>
              <td>{l.eventName || '–'}</td>
              <td class="body">
                <Clipped text={l.body} />
              </td>
              <td class="num mono">
                {l.partition}@{l.offset}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** Metric data points, newest first. */
export function MetricTable({ points }: { points: MetricPointItem[] }) {
  const shown = points.slice(-SHOWN).reverse();
  return (
    <div class="table-wrap">
      <table>
        <thead>
          <tr>
            <th>Time</th>
            <th>Service</th>
            <th>Metric</th>
            <th>Type</th>
            <th class="num">Value</th>
            <th>Attributes</th>
          </tr>
        </thead>
        <tbody>
          {shown.map((p) => (
            <tr key={p.id} data-metric={p.metric}>
              <td class="mono">{formatTime(p.timeMs)}</td>
              <td>{p.service}</td>
              <td>{p.metric}</td>
              <td>{p.type}</td>
              <td class="num mono">
                {p.value}
                {p.unit ? ` ${p.unit}` : ''}
              </td>
              <td class="mono">
                <Clipped text={p.attributes} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
