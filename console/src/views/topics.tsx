// Runs in: the browser (the web console).
import { useState } from 'preact/hooks';
import { ApiError } from '../api.js';
import { Chart } from '../components/chart.js';
import { Field } from '../components/field.js';
import { RetentionInput, retentionMsOf, type TimeUnit } from '../components/retention.js';
import { ErrorBox, Loading } from '../components/status.js';
import { useConsole } from '../context.js';
import { formatBytes, formatCount, formatDuration, formatRate } from '../format.js';
import { usePoll } from '../hooks.js';
import { href, navigate } from '../router.js';
import { useSamples } from '../sampler.js';
import type { Topic } from '../types.js';

const records = (t: Topic) => t.partitions.reduce((n, p) => n + p.highWatermark - p.logStartOffset, 0);
const bytes = (t: Topic) => t.partitions.reduce((n, p) => n + (p.sizeBytes ?? 0), 0);

function CreateTopic({ onCreated }: { onCreated: () => void }) {
  const { api } = useConsole();
  const [name, setName] = useState('');
  const [partitions, setPartitions] = useState('6');
  const [retention, setRetention] = useState('');
  const [unit, setUnit] = useState<TimeUnit>('days');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [failure, setFailure] = useState<Error>();
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    const retentionMs = retentionMsOf(retention, unit);
    if (typeof retentionMs === 'object') return setErrors({ retention: retentionMs.error });
    setBusy(true);
    setErrors({});
    setFailure(undefined);
    try {
      await api.send('POST', 'topics', { name, partitions: Number(partitions), ...(retentionMs === undefined ? {} : { retentionMs }) });
      setName('');
      onCreated();
      navigate(href(['topics', name]));
    } catch (err) {
      // The API names the bad body field (`field`, or its message starts "name: …").
      const message = err instanceof Error ? err.message : String(err);
      const field = (err instanceof ApiError ? err.field : undefined) ?? /^(name|partitions|retentionMs)\b/.exec(message)?.[1];
      if (err instanceof ApiError && err.status === 409) setErrors({ name: message });
      else if (field) setErrors({ [field === 'retentionMs' ? 'retention' : field]: message });
      else setFailure(err as Error);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="card form" onSubmit={submit} aria-label="Create a topic">
      <h2>Create a topic</h2>
      <ErrorBox error={failure} what="create the topic" />
      <div class="row">
        <Field id="topic-name" label="Name" error={errors.name}>
          <input id="topic-name" required value={name} onInput={(e) => setName(e.currentTarget.value)} pattern="[A-Za-z0-9._\-]{1,249}" />
        </Field>
        <Field id="topic-partitions" label="Partitions" error={errors.partitions}>
          <input id="topic-partitions" type="number" min="1" max="10000" required value={partitions} onInput={(e) => setPartitions(e.currentTarget.value)} />
        </Field>
        <Field id="topic-retention" label="Retention" hint="blank: the log's default; -1: forever" error={errors.retention}>
          <RetentionInput id="topic-retention" value={retention} unit={unit} onValue={setRetention} onUnit={setUnit} />
        </Field>
      </div>
      <button type="submit" disabled={busy}>
        Create topic
      </button>
    </form>
  );
}

/** Every topic with its size, records and ingest rate, a chart of the rates, and a form to create one. */
export function TopicsView() {
  const { sampler } = useConsole();
  useSamples(sampler);
  const { data, error, reload } = usePoll<{ topics: Topic[] }>('topics');
  return (
    <div>
      <Chart title="Ingest rate per topic" unit="records/s" lineNoun="topics" series={sampler.topicRates()} />
      <ErrorBox error={error} what="list the topics" />
      {data ? (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th>Topic</th>
                <th class="num">Partitions</th>
                <th class="num">Records</th>
                <th class="num">Size</th>
                <th class="num">Rate</th>
                <th>Retention</th>
                <th>
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {data.topics.map((t) => (
                <tr key={t.name} data-topic={t.name}>
                  <td>
                    <a href={href(['topics', t.name])}>{t.name}</a>
                  </td>
                  <td class="num">{t.partitions.length}</td>
                  <td class="num">{formatCount(records(t))}</td>
                  <td class="num">{formatBytes(bytes(t))}</td>
                  <td class="num">{formatRate(sampler.latestRate(t.name))}</td>
                  <td>{formatDuration(t.settings?.retentionMs)}</td>
                  <td>
                    <a href={href(['tail'], { topic: t.name })}>Tail</a>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : error ? null : (
        <Loading what="topics" />
      )}
      <CreateTopic onCreated={reload} />
    </div>
  );
}
