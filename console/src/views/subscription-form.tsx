// Runs in: the browser (the web console).
import { useState } from 'preact/hooks';
import { ApiError } from '../api.js';
import { Field } from '../components/field.js';
import { ErrorBox } from '../components/status.js';
import { useConsole } from '../context.js';
import { toLocalInput } from '../format.js';
import type { Topic } from '../types.js';

/** Each sink type with settings to start from (docs/sinks.md has them all). */
const SINK_EXAMPLES: Record<string, object> = {
  otlphttp: { endpoint: 'http://collector:4318', compression: 'gzip' },
  webhook: { endpoint: 'https://hooks.example.internal/otlp' },
  prometheusremotewrite: { endpoint: 'http://prometheus:9090/api/v1/write' },
  kafka: { brokers: ['kafka:9092'] },
  file: { path: './exports/otlp.jsonl' },
  debug: { verbosity: 'basic' },
};
const SIGNALS = ['traces', 'metrics', 'logs', 'events'];
const SEVERITIES = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'];

/** Which control shows the message for the API's `field` (the body's dotted path). */
function controlFor(field: string): string | undefined {
  const [first, second] = field.split(/[.[\]]+/);
  if (first === 'group') return 'sub-group';
  if (first === 'topics') return 'sub-topics';
  if (first === 'sink') return second === 'type' ? 'sub-sink-type' : 'sub-sink';
  if (first === 'filter') {
    if (second === 'tenants') return 'sub-tenants';
    if (second === 'min_severity') return 'sub-severity';
    if (second === 'signals') return 'sub-signals';
    return 'sub-services';
  }
  if (first === 'start') return 'sub-start';
  if (['members', 'batch', 'retry', 'dead_letter', 'assignor'].includes(first)) return 'sub-advanced';
  return undefined;
}

const words = (text: string) => text.split(/[\s,]+/).filter(Boolean);

function parseObject(text: string): object | string {
  if (text.trim() === '') return {};
  try {
    const value = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? value : 'expected a JSON object, e.g. { "endpoint": "…" }';
  } catch (err) {
    return `not valid JSON: ${err instanceof Error ? err.message : String(err)}`;
  }
}

/** The form for `POST /api/v1/pipelines`; the API's validation error is shown at the field it names. */
export function SubscriptionForm({ topics, onCreated }: { topics: Topic[]; onCreated: () => void }) {
  const { api } = useConsole();
  const [group, setGroup] = useState('');
  const [chosenTopics, setChosenTopics] = useState<string[]>([]);
  const [sinkType, setSinkType] = useState('otlphttp');
  const [sink, setSink] = useState(JSON.stringify(SINK_EXAMPLES.otlphttp, null, 2));
  const [services, setServices] = useState('');
  const [tenants, setTenants] = useState('');
  const [severity, setSeverity] = useState('');
  const [signals, setSignals] = useState<string[]>([]);
  const [start, setStart] = useState('latest');
  const [startTime, setStartTime] = useState(() => toLocalInput(Date.now() - 3_600_000));
  const [advanced, setAdvanced] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [failure, setFailure] = useState<Error>();
  const [created, setCreated] = useState('');
  const [busy, setBusy] = useState(false);

  const toggle = (list: string[], item: string) => (list.includes(item) ? list.filter((i) => i !== item) : [...list, item]);

  const showErrors = (problems: Record<string, string>) => {
    setErrors(problems);
    const first = Object.keys(problems)[0];
    if (first) document.getElementById(first)?.focus();
  };

  const submit = async (e: Event) => {
    e.preventDefault();
    setFailure(undefined);
    setCreated('');
    const sinkSettings = parseObject(sink);
    const more = parseObject(advanced);
    const problems: Record<string, string> = {};
    if (typeof sinkSettings === 'string') problems['sub-sink'] = sinkSettings;
    if (typeof more === 'string') problems['sub-advanced'] = more;
    const timestamp = new Date(startTime).getTime();
    if (start === 'time' && Number.isNaN(timestamp)) problems['sub-start'] = 'pick a date and time';
    if (Object.keys(problems).length > 0) return showErrors(problems);

    const filter = {
      ...(words(services).length ? { resource: { 'service.name': words(services) } } : {}),
      ...(words(tenants).length ? { tenants: words(tenants) } : {}),
      ...(severity ? { min_severity: severity } : {}),
      ...(signals.length ? { signals } : {}),
    };
    const body = {
      group,
      topics: chosenTopics,
      sink: { type: sinkType, ...(sinkSettings as object) },
      ...(Object.keys(filter).length ? { filter } : {}),
      start: start === 'time' ? { timestamp } : start,
      ...(more as object),
    };
    setBusy(true);
    try {
      await api.send('POST', 'pipelines', body);
      setErrors({});
      setCreated(`Subscription ${group} created.`);
      setGroup('');
      onCreated();
    } catch (err) {
      // A name taken is the name's problem; other refusals (409 PIPELINE_LIMIT too) are the form's, unless the API names a field.
      const control = err instanceof ApiError ? (err.code === 'PIPELINE_EXISTS' ? 'sub-group' : err.field ? controlFor(err.field) : undefined) : undefined;
      if (control) showErrors({ [control]: (err as Error).message });
      else {
        setErrors({});
        setFailure(err as Error);
      }
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="card form" onSubmit={submit} aria-label="New subscription" noValidate>
      <h2>New subscription</h2>
      <p class="muted">A consumer group that reads topics and delivers what passes the filter to a sink.</p>
      <ErrorBox error={failure} what="create the subscription" />
      <div class="row">
        <Field id="sub-group" label="Group name" error={errors['sub-group']}>
          <input id="sub-group" value={group} onInput={(e) => setGroup(e.currentTarget.value)} placeholder="team-a-traces" />
        </Field>
        <Field id="sub-start" label="Start at" error={errors['sub-start']}>
          <span class="inline">
            <select id="sub-start" value={start} onChange={(e) => setStart(e.currentTarget.value)}>
              <option value="latest">new records (latest)</option>
              <option value="earliest">the oldest kept (earliest)</option>
              <option value="time">a time</option>
            </select>
            {start === 'time' ? (
              <input aria-label="Start time" type="datetime-local" step="1" value={startTime} onInput={(e) => setStartTime(e.currentTarget.value)} />
            ) : null}
          </span>
        </Field>
      </div>
      <Field id="sub-topics" label="Topics" group error={errors['sub-topics']}>
        <div class="checks" id="sub-topics" tabIndex={-1}>
          {topics.map((t) => (
            <label key={t.name}>
              <input type="checkbox" name="topics" value={t.name} checked={chosenTopics.includes(t.name)} onChange={() => setChosenTopics(toggle(chosenTopics, t.name))} />{' '}
              {t.name}
            </label>
          ))}
        </div>
      </Field>
      <div class="row">
        <Field id="sub-sink-type" label="Sink type" error={errors['sub-sink-type']}>
          <select
            id="sub-sink-type"
            value={sinkType}
            onChange={(e) => {
              const type = e.currentTarget.value;
              setSinkType(type);
              setSink(JSON.stringify(SINK_EXAMPLES[type] ?? {}, null, 2));
            }}
          >
            {Object.keys(SINK_EXAMPLES).map((t) => (
              <option key={t}>{t}</option>
            ))}
          </select>
        </Field>
        <Field id="sub-sink" label="Sink settings (JSON)" hint="the sink's own keys, as in the YAML config" error={errors['sub-sink']}>
          <textarea id="sub-sink" rows={4} spellcheck={false} value={sink} onInput={(e) => setSink(e.currentTarget.value)} />
        </Field>
      </div>
      <fieldset>
        <legend>Filter (optional)</legend>
        <div class="row">
          <Field id="sub-services" label="Services" hint="service.name values, comma-separated" error={errors['sub-services']}>
            <input id="sub-services" value={services} onInput={(e) => setServices(e.currentTarget.value)} placeholder="checkout, payment" />
          </Field>
          <Field id="sub-tenants" label="Tenants" error={errors['sub-tenants']}>
            <input id="sub-tenants" value={tenants} onInput={(e) => setTenants(e.currentTarget.value)} placeholder="team-a" />
          </Field>
          <Field id="sub-severity" label="Minimum severity" hint="logs and events" error={errors['sub-severity']}>
            <select id="sub-severity" value={severity} onChange={(e) => setSeverity(e.currentTarget.value)}>
              <option value="">any</option>
              {SEVERITIES.map((s) => (
                <option key={s}>{s}</option>
              ))}
            </select>
          </Field>
        </div>
        <Field id="sub-signals" label="Signals" hint="none checked: all" group error={errors['sub-signals']}>
          <div class="checks" id="sub-signals" tabIndex={-1}>
            {SIGNALS.map((s) => (
              <label key={s}>
                <input type="checkbox" name="signals" value={s} checked={signals.includes(s)} onChange={() => setSignals(toggle(signals, s))} /> {s}
              </label>
            ))}
          </div>
        </Field>
      </fieldset>
      <Field id="sub-advanced" label="More settings (JSON, optional)" hint='members, batch, retry, dead_letter, e.g. { "members": 2 }' error={errors['sub-advanced']}>
        <textarea id="sub-advanced" rows={2} spellcheck={false} value={advanced} onInput={(e) => setAdvanced(e.currentTarget.value)} />
      </Field>
      <button type="submit" disabled={busy}>
        Create subscription
      </button>
      {created ? (
        <p class="ok" role="status">
          {created}
        </p>
      ) : null}
    </form>
  );
}
