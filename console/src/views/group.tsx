// Runs in: the browser (the web console).
import { useState } from 'preact/hooks';
import { Chart } from '../components/chart.js';
import { Confirm } from '../components/confirm.js';
import { Field } from '../components/field.js';
import { Badge, ErrorBox, Loading } from '../components/status.js';
import { useConsole } from '../context.js';
import { formatCount, toLocalInput } from '../format.js';
import { usePoll } from '../hooks.js';
import { useSamples } from '../sampler.js';
import type { GroupDescription } from '../types.js';
import { stateTone } from './groups.js';

type ResetTo = 'earliest' | 'latest' | 'timestamp' | 'offset';

interface ResetRequest {
  to: ResetTo;
  timestamp?: number;
  offset?: number;
  topics?: string[];
}

function describeReset(r: ResetRequest): string {
  const where = r.to === 'timestamp' ? `the first record at or after ${new Date(r.timestamp!).toLocaleString()}` : r.to === 'offset' ? `offset ${r.offset}` : `the ${r.to} offset`;
  return `${where} on ${r.topics ? `topic ${r.topics[0]}` : 'every topic it has offsets for'}`;
}

function ResetOffsets({ group, onDone }: { group: GroupDescription; onDone: () => void }) {
  const { api } = useConsole();
  const topics = [...new Set(group.partitions.map((p) => p.topic))];
  const [to, setTo] = useState<ResetTo>('earliest');
  const [topic, setTopic] = useState('');
  const [time, setTime] = useState(() => toLocalInput(Date.now() - 3_600_000));
  const [offset, setOffset] = useState('0');
  const [pending, setPending] = useState<ResetRequest>();
  const [failure, setFailure] = useState<Error>();
  const [result, setResult] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});

  const ask = (e: Event) => {
    e.preventDefault();
    setResult('');
    setFailure(undefined);
    const request: ResetRequest = { to, ...(topic ? { topics: [topic] } : {}) };
    const problems: Record<string, string> = {};
    if (to === 'timestamp') {
      const ms = new Date(time).getTime();
      if (Number.isNaN(ms)) problems.time = 'pick a date and time';
      request.timestamp = ms;
    }
    if (to === 'offset') {
      const n = Number(offset);
      if (!Number.isInteger(n) || n < 0) problems.offset = 'expected a whole number, 0 or more';
      request.offset = n;
    }
    setErrors(problems);
    if (Object.keys(problems).length === 0) setPending(request);
  };

  const reset = async (request: ResetRequest) => {
    setPending(undefined);
    try {
      const answer = await api.send<{ offsets: unknown[] }>('POST', `groups/${encodeURIComponent(group.group)}/offsets`, request);
      setResult(`Moved ${answer.offsets.length} partition offsets to ${describeReset(request)}.`);
      onDone();
    } catch (err) {
      setFailure(err as Error);
    }
  };

  return (
    <form class="card form" onSubmit={ask} aria-label="Reset offsets">
      <h2>Reset offsets</h2>
      <p class="muted">Only while the group has no members: stop (or pause) its consumers first.</p>
      <ErrorBox error={failure} what="reset the offsets" />
      <div class="row">
        <Field id="reset-to" label="Move to">
          <select id="reset-to" value={to} onChange={(e) => setTo(e.currentTarget.value as ResetTo)}>
            <option value="earliest">earliest (log start)</option>
            <option value="latest">latest (high watermark)</option>
            <option value="timestamp">a time</option>
            <option value="offset">an offset</option>
          </select>
        </Field>
        {to === 'timestamp' ? (
          <Field id="reset-time" label="Time" error={errors.time}>
            <input id="reset-time" type="datetime-local" step="1" value={time} onInput={(e) => setTime(e.currentTarget.value)} />
          </Field>
        ) : null}
        {to === 'offset' ? (
          <Field id="reset-offset" label="Offset" error={errors.offset}>
            <input id="reset-offset" type="number" min="0" value={offset} onInput={(e) => setOffset(e.currentTarget.value)} />
          </Field>
        ) : null}
        <Field id="reset-topic" label="Topics">
          <select id="reset-topic" value={topic} onChange={(e) => setTopic(e.currentTarget.value)}>
            <option value="">all of the group's topics</option>
            {topics.map((t) => (
              <option key={t}>{t}</option>
            ))}
          </select>
        </Field>
      </div>
      <button type="submit">Reset offsets…</button>
      {result ? (
        <p class="ok" role="status">
          {result}
        </p>
      ) : null}
      {pending ? (
        <Confirm title={`Reset group ${group.group}?`} confirmLabel="Reset offsets" onConfirm={() => reset(pending)} onCancel={() => setPending(undefined)}>
          <p>
            Group <strong>{group.group}</strong> will resume from {describeReset(pending)}. Records before that point are skipped, and records after
            it delivered again.
          </p>
        </Confirm>
      ) : null}
    </form>
  );
}

/** One group: state, members and what each is assigned, per-partition offsets and lag, lag over time, offset reset. */
export function GroupView({ name }: { name: string }) {
  const { sampler } = useConsole();
  useSamples(sampler);
  const { data, error, reload } = usePoll<GroupDescription>(`groups/${encodeURIComponent(name)}`);
  if (!data) return error ? <ErrorBox error={error} what={`read group ${name}`} /> : <Loading what={`group ${name}`} />;
  const ownerOf = new Map<string, string>();
  for (const m of data.members) for (const a of m.assignment) ownerOf.set(`${a.topic}/${a.partition}`, m.clientId || m.memberId);
  return (
    <div>
      <ErrorBox error={error} what={`refresh group ${name}`} />
      <p class="summary">
        <Badge text={data.state} tone={stateTone(data.state)} /> generation {data.generation} · assignor {data.assignor || '–'} · {data.members.length}{' '}
        members · total lag {formatCount(data.totalLag)}
      </p>
      <Chart title={`Lag of ${name}`} unit="records" series={sampler.groupLag(name)} />
      <h2>Members</h2>
      {data.members.length === 0 ? (
        <p class="muted">No members: nobody consumes for this group now.</p>
      ) : (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th>Member</th>
                <th>Client</th>
                <th>Assigned partitions</th>
              </tr>
            </thead>
            <tbody>
              {data.members.map((m) => (
                <tr key={m.memberId}>
                  <td class="mono">{m.memberId}</td>
                  <td>{m.clientId}</td>
                  <td>{m.assignment.map((a) => `${a.topic}/${a.partition}`).join(', ') || '–'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <h2>Partitions</h2>
      <div class="table-wrap">
        <table>
          <thead>
            <tr>
              <th>Topic</th>
              <th class="num">Partition</th>
              <th class="num">Committed</th>
              <th class="num">High watermark</th>
              <th class="num">Lag</th>
              <th>Consumed by</th>
            </tr>
          </thead>
          <tbody>
            {data.partitions.map((p) => (
              <tr key={`${p.topic}/${p.partition}`}>
                <td>{p.topic}</td>
                <td class="num">{p.partition}</td>
                <td class="num">{p.committedOffset === null ? 'never committed' : formatCount(p.committedOffset)}</td>
                <td class="num">{formatCount(p.highWatermark)}</td>
                <td class="num">{formatCount(p.lag)}</td>
                <td>{ownerOf.get(`${p.topic}/${p.partition}`) ?? '–'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <ResetOffsets group={data} onDone={reload} />
    </div>
  );
}
