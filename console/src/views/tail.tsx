// Runs in: the browser (the web console).
import { useEffect, useMemo, useState } from 'preact/hooks';
import { Field } from '../components/field.js';
import { ErrorBox, Loading } from '../components/status.js';
import { useConsole } from '../context.js';
import { formatCount, toLocalInput } from '../format.js';
import { usePoll } from '../hooks.js';
import { href, navigate, type Route } from '../router.js';
import { type FollowOptions, type StartAt, TailFollower } from '../tail/follower.js';
import { LogTable, MetricTable } from '../tail/item-tables.js';
import { tracesOf, Waterfall } from '../tail/waterfall.js';
import type { Topic } from '../types.js';

const SHOWN_TRACES = 30;
type StartMode = StartAt['at'];

function describeStart(start: StartAt): string {
  switch (start.at) {
    case 'offset':
      return `offset ${start.offset}`;
    case 'time':
      return new Date(start.timestamp).toLocaleString();
    default:
      return start.at;
  }
}

/**
 * What the URL asks for, so that a tail can be reloaded and shared:
 * `?topic=T&partition=P&from=latest|earliest|offset|time&offset=N&time=MS`.
 */
function requested(route: Route, topics: Topic[] | undefined): FollowOptions | undefined {
  const q = route.query;
  const topic = q.get('topic') ?? (topics?.some((t) => t.name === 'otlp_spans') ? 'otlp_spans' : topics?.[0]?.name);
  if (!topic) return undefined;
  const partition = q.get('partition') && /^\d+$/.test(q.get('partition')!) ? Number(q.get('partition')) : 'all';
  const from = q.get('from');
  const n = (key: string) => Number(q.get(key));
  const start: StartAt =
    from === 'earliest'
      ? { at: 'earliest' }
      : from === 'offset' && Number.isInteger(n('offset')) && partition !== 'all'
        ? { at: 'offset', offset: n('offset') }
        : from === 'time' && Number.isInteger(n('time'))
          ? { at: 'time', timestamp: n('time') }
          : { at: 'latest' };
  return { topic, partition, start };
}

function urlOf(o: FollowOptions): string {
  const s = o.start;
  return href(['tail'], {
    topic: o.topic,
    partition: o.partition === 'all' ? undefined : o.partition,
    from: s.at === 'latest' ? undefined : s.at,
    offset: s.at === 'offset' ? s.offset : undefined,
    time: s.at === 'time' ? s.timestamp : undefined,
  });
}

function TailForm({ topics, following, onFollow }: { topics: Topic[]; following: FollowOptions; onFollow: (o: FollowOptions) => void }) {
  const [topic, setTopic] = useState(following.topic);
  const [partition, setPartition] = useState(String(following.partition));
  const [mode, setMode] = useState<StartMode>(following.start.at);
  const [offset, setOffset] = useState('0');
  const [time, setTime] = useState(() => toLocalInput(Date.now() - 15 * 60_000));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const partitions = topics.find((t) => t.name === topic)?.partitions.length ?? 0;

  const submit = (e: Event) => {
    e.preventDefault();
    const problems: Record<string, string> = {};
    let start: StartAt = { at: mode as 'latest' | 'earliest' };
    if (mode === 'offset') {
      const n = Number(offset);
      if (!Number.isInteger(n) || n < 0) problems.offset = 'expected a whole number, 0 or more';
      if (partition === 'all') problems.partition = 'choose a partition to jump to an offset in it';
      start = { at: 'offset', offset: n };
    } else if (mode === 'time') {
      const ms = new Date(time).getTime();
      if (Number.isNaN(ms)) problems.time = 'pick a date and time';
      start = { at: 'time', timestamp: ms };
    }
    setErrors(problems);
    if (Object.keys(problems).length > 0) return;
    onFollow({ topic, partition: partition === 'all' ? 'all' : Number(partition), start });
  };

  return (
    <form class="card form tail-form" onSubmit={submit} aria-label="What to tail">
      <div class="row">
        <Field id="tail-topic" label="Topic">
          <select
            id="tail-topic"
            value={topic}
            onChange={(e) => {
              setTopic(e.currentTarget.value);
              setPartition('all');
            }}
          >
            {topics.map((t) => (
              <option key={t.name}>{t.name}</option>
            ))}
          </select>
        </Field>
        <Field id="tail-partition" label="Partition" error={errors.partition}>
          <select id="tail-partition" value={partition} onChange={(e) => setPartition(e.currentTarget.value)}>
            <option value="all">all</option>
            {Array.from({ length: partitions }, (_, i) => (
              <option key={i} value={String(i)}>
                {i}
              </option>
            ))}
          </select>
        </Field>
        <Field id="tail-from" label="From">
          <select id="tail-from" value={mode} onChange={(e) => setMode(e.currentTarget.value as StartMode)}>
            <option value="latest">now on (latest)</option>
            <option value="earliest">the beginning (earliest)</option>
            <option value="offset">an offset</option>
            <option value="time">a time</option>
          </select>
        </Field>
        {mode === 'offset' ? (
          <Field id="tail-offset" label="Offset" error={errors.offset}>
            <input id="tail-offset" type="number" min="0" value={offset} onInput={(e) => setOffset(e.currentTarget.value)} />
          </Field>
        ) : null}
        {mode === 'time' ? (
          <Field id="tail-time" label="Time" error={errors.time}>
            <input id="tail-time" type="datetime-local" step="1" value={time} onInput={(e) => setTime(e.currentTarget.value)} />
          </Field>
        ) : null}
      </div>
      <button type="submit">Follow</button>
    </form>
  );
}

/** A topic's records as they arrive, decoded from OTLP: traces as waterfalls, logs and events, metric points. */
export function TailView({ route }: { route: Route }) {
  const { api, authEpoch } = useConsole();
  const topics = usePoll<{ topics: Topic[] }>('topics', 10_000);
  const following = requested(route, topics.data?.topics);
  const followKey = following ? JSON.stringify(following) : '';
  const [follower, setFollower] = useState<TailFollower>();
  const [version, setVersion] = useState(0);
  const [paused, setPaused] = useState(false);
  const [service, setService] = useState('');
  const [restarts, setRestarts] = useState(0);

  useEffect(() => {
    if (!following) return;
    const f = new TailFollower(api, following, () => setVersion((v) => v + 1));
    f.start();
    setFollower(f);
    setPaused(false);
    return () => f.stop();
  }, [api, followKey, restarts, authEpoch]);

  useEffect(() => {
    if (follower) follower.paused = paused;
  }, [follower, paused]);

  const items = follower?.items;
  // Again after each round the follower read (its lengths stop changing once it keeps all it can).
  const services = useMemo(
    () => [...new Set([...(items?.spans ?? []), ...(items?.logs ?? []), ...(items?.metrics ?? [])].map((i) => i.service))].sort(),
    [items, version],
  );

  if (!topics.data || !following) return topics.error ? <ErrorBox error={topics.error} what="list the topics" /> : <Loading what="topics" />;
  const matches = (s: { service: string }) => service === '' || s.service === service;
  const traces = tracesOf(items?.spans ?? []).filter((t) => t.spans.some(matches));
  const logs = (items?.logs ?? []).filter(matches);
  const metrics = (items?.metrics ?? []).filter(matches);
  // Following the same thing again starts it over (a new follower, from the start asked for).
  const follow = (o: FollowOptions) => (JSON.stringify(o) === followKey ? setRestarts((r) => r + 1) : navigate(urlOf(o)));

  return (
    <div>
      <TailForm key={followKey} topics={topics.data.topics} following={following} onFollow={follow} />
      <div class="toolbar">
        <button type="button" aria-pressed={paused} onClick={() => setPaused(!paused)}>
          {paused ? 'Resume' : 'Pause'}
        </button>
        <label>
          Service{' '}
          <select class="service-filter" value={service} onChange={(e) => setService(e.currentTarget.value)}>
            <option value="">all services</option>
            {services.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
        <span class="muted" role="status">
          {following.topic}
          {follower?.partitions.length ? `, partitions ${follower.partitions.join(' ')}` : ''} from {describeStart(following.start)} ·{' '}
          {formatCount(follower?.records ?? 0)} records{paused ? ' · paused' : ''}
        </span>
      </div>
      <ErrorBox error={follower?.error} what={`read ${following.topic}`} />
      {follower && follower.skipped > 0 ? (
        <p class="muted" role="status">
          {formatCount(follower.skipped)} records were deleted by retention before the tail read them: it went on from the oldest record kept.
        </p>
      ) : null}
      {follower && follower.cutBack.size > 0 ? (
        <p class="muted" role="status">
          The log of partition {[...follower.cutBack].join(', ')} came back shorter than the tail had read (the gateway started again on another data
          directory, or its recovery cut a torn tail): it went on from the records received after the last one shown.
        </p>
      ) : null}
      {follower && follower.records === 0 ? <p class="muted">Waiting for records… send some with `tributary send`.</p> : null}
      {traces.length > 0 ? (
        <section aria-label="Traces">
          <h2>Traces</h2>
          {traces.slice(0, SHOWN_TRACES).map((t) => (
            <Waterfall key={t.traceId} trace={t} />
          ))}
        </section>
      ) : null}
      {logs.length > 0 ? (
        <section aria-label="Logs and events">
          <h2>Log records and events</h2>
          <LogTable logs={logs} />
        </section>
      ) : null}
      {metrics.length > 0 ? (
        <section aria-label="Metric data points">
          <h2>Metric data points</h2>
          <MetricTable points={metrics} />
        </section>
      ) : null}
      {items && items.undecoded.length > 0 ? (
        <section aria-label="Records that are not OTLP">
          <h2>Records that are not OTLP</h2>
          <ul>
            {items.undecoded.slice(-20).map((u) => (
              <li key={u.id} class="mono">
                {u.partition}@{u.offset}: {u.error}
              </li>
            ))}
          </ul>
        </section>
      ) : null}
    </div>
  );
}
