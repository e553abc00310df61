// Runs in: the browser (the web console).
import { useState } from 'preact/hooks';
import { Confirm } from '../components/confirm.js';
import { Field } from '../components/field.js';
import { RetentionInput, retentionMsOf, type TimeUnit } from '../components/retention.js';
import { ErrorBox, Loading } from '../components/status.js';
import { useConsole } from '../context.js';
import { formatBytes, formatCount, formatDuration, formatRate } from '../format.js';
import { usePoll } from '../hooks.js';
import { href, navigate } from '../router.js';
import { useSamples } from '../sampler.js';
import type { Topic } from '../types.js';

function RetentionForm({ topic, onChanged }: { topic: Topic; onChanged: () => void }) {
  const { api } = useConsole();
  const [time, setTime] = useState('');
  const [unit, setUnit] = useState<TimeUnit>('hours');
  const [bytes, setBytes] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [failure, setFailure] = useState<Error>();
  const [done, setDone] = useState('');

  const submit = async (e: Event) => {
    e.preventDefault();
    setDone('');
    setFailure(undefined);
    const retentionMs = retentionMsOf(time, unit);
    const retentionBytes = bytes.trim() === '' ? undefined : Number(bytes);
    const problems: Record<string, string> = {};
    if (typeof retentionMs === 'object') problems.time = retentionMs.error;
    if (retentionBytes !== undefined && !(Number.isInteger(retentionBytes) && (retentionBytes === -1 || retentionBytes > 0))) {
      problems.bytes = 'expected a whole number of bytes, or -1 for no size limit';
    }
    if (retentionMs === undefined && retentionBytes === undefined) problems.time = 'give a retention time or size to change';
    setErrors(problems);
    if (Object.keys(problems).length > 0) return;
    try {
      await api.send('PATCH', `topics/${encodeURIComponent(topic.name)}`, {
        ...(typeof retentionMs === 'number' ? { retentionMs } : {}),
        ...(retentionBytes === undefined ? {} : { retentionBytes }),
      });
      setDone('Retention changed.');
      setTime('');
      setBytes('');
      onChanged();
    } catch (err) {
      setFailure(err as Error);
    }
  };

  return (
    <form class="card form" onSubmit={submit} aria-label="Change retention">
      <h2>Retention</h2>
      <p class="muted">
        Now: {formatDuration(topic.settings?.retentionMs)} by time,{' '}
        {topic.settings?.retentionBytes === undefined ? 'default' : topic.settings.retentionBytes < 0 ? 'no limit' : formatBytes(topic.settings.retentionBytes)} by size
        per partition.
      </p>
      <ErrorBox error={failure} what="change the retention" />
      <div class="row">
        <Field id="retention-time" label="Keep records for" hint="-1: forever" error={errors.time}>
          <RetentionInput id="retention-time" value={time} unit={unit} onValue={setTime} onUnit={setUnit} />
        </Field>
        <Field id="retention-bytes" label="Keep at most (bytes per partition)" hint="-1: no limit" error={errors.bytes}>
          <input id="retention-bytes" inputMode="numeric" value={bytes} onInput={(e) => setBytes(e.currentTarget.value)} />
        </Field>
      </div>
      <button type="submit">Change retention</button>
      {done ? (
        <p class="ok" role="status">
          {done}
        </p>
      ) : null}
    </form>
  );
}

/**
 * Deleting the topic, after a confirm step: its records and the groups' offsets on it go. The
 * gateway refuses its own topics (the receiver's, a pipeline's) and the console shows why.
 */
function DeleteTopic({ topic }: { topic: Topic }) {
  const { api } = useConsole();
  const [asking, setAsking] = useState(false);
  const [failure, setFailure] = useState<Error>();
  const records = topic.partitions.reduce((n, p) => n + p.highWatermark - p.logStartOffset, 0);
  const remove = async () => {
    setAsking(false);
    setFailure(undefined);
    try {
      await api.send('DELETE', `topics/${encodeURIComponent(topic.name)}`);
      navigate(href(['topics']));
    } catch (err) {
      setFailure(err as Error);
    }
  };
  return (
    <section class="card form" aria-label="Delete the topic">
      <h2>Delete</h2>
      <ErrorBox error={failure} what={`delete topic ${topic.name}`} />
      <button type="button" class="danger" onClick={() => setAsking(true)}>
        Delete topic…
      </button>
      {asking ? (
        <Confirm title={`Delete topic ${topic.name}?`} confirmLabel="Delete topic" onCancel={() => setAsking(false)} onConfirm={remove}>
          <p>
            Its {formatCount(records)} records and every group's committed offsets on it are deleted; this cannot be undone. A topic created again under
            this name starts empty.
          </p>
        </Confirm>
      ) : null}
    </section>
  );
}

/** One topic: its partitions (leader, replicas, ISR, offsets, size), its retention, and deleting it. */
export function TopicView({ name }: { name: string }) {
  const { sampler } = useConsole();
  useSamples(sampler);
  const { data, error, reload } = usePoll<Topic>(`topics/${encodeURIComponent(name)}`);
  if (!data) return error ? <ErrorBox error={error} what={`read topic ${name}`} /> : <Loading what={`topic ${name}`} />;
  return (
    <div>
      <ErrorBox error={error} what={`refresh topic ${name}`} />
      <p class="summary">
        {data.partitions.length} partitions · {formatCount(data.partitions.reduce((n, p) => n + p.highWatermark - p.logStartOffset, 0))} records ·{' '}
        {formatRate(sampler.latestRate(name))} · <a href={href(['tail'], { topic: name })}>Tail this topic</a>
      </p>
      <div class="table-wrap">
        <table>
          <thead>
            <tr>
              <th class="num">Partition</th>
              <th class="num">Leader</th>
              <th>Replicas</th>
              <th>ISR</th>
              <th class="num">Log start</th>
              <th class="num">High watermark</th>
              <th class="num">Size</th>
            </tr>
          </thead>
          <tbody>
            {data.partitions.map((p) => (
              <tr key={p.partition}>
                <td class="num">{p.partition}</td>
                <td class="num">{p.leader}</td>
                <td>{p.replicas.join(', ')}</td>
                <td>{p.isr.join(', ')}</td>
                <td class="num">{formatCount(p.logStartOffset)}</td>
                <td class="num">{formatCount(p.highWatermark)}</td>
                <td class="num">{formatBytes(p.sizeBytes)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <RetentionForm topic={data} onChanged={reload} />
      <DeleteTopic topic={data} />
    </div>
  );
}
