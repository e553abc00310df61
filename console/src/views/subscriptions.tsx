// Runs in: the browser (the web console).
import { useState } from 'preact/hooks';
import { Confirm } from '../components/confirm.js';
import { Badge, ErrorBox, Loading } from '../components/status.js';
import { useConsole } from '../context.js';
import { formatCount } from '../format.js';
import { usePoll } from '../hooks.js';
import { href } from '../router.js';
import type { Pipeline, PipelineFilter, Topic } from '../types.js';
import { SubscriptionForm } from './subscription-form.js';

function filterText(f: PipelineFilter | undefined): string {
  if (!f) return 'everything';
  const parts = [
    ...Object.entries(f.resource ?? {}).map(([k, v]) => `${k} ∈ {${v.join(', ')}}`),
    f.tenants?.length ? `tenants ${f.tenants.join(', ')}` : '',
    f.min_severity ? `≥ ${f.min_severity}` : '',
    f.signals?.length ? f.signals.join(', ') : '',
  ].filter(Boolean);
  return parts.length ? parts.join(' · ') : 'everything';
}

function sinkText(sink: Pipeline['sink']): string {
  const where = sink.endpoint ?? sink.url ?? sink.path ?? (Array.isArray(sink.brokers) ? sink.brokers.join(',') : undefined);
  return where ? `${sink.type} → ${String(where)}` : sink.type;
}

/** What the action button says for a pipeline that does not run: resuming a failed one tries it again. */
const RESUME_LABEL: Partial<Record<Pipeline['state'], string>> = { paused: 'Resume', failed: 'Retry' };

function Row({ p, onChanged, onError }: { p: Pipeline; onChanged: () => void; onError: (e: Error) => void }) {
  const { api } = useConsole();
  const [deleting, setDeleting] = useState(false);
  const [forgetOffsets, setForgetOffsets] = useState(false);
  const path = `pipelines/${encodeURIComponent(p.group)}`;
  const act = async (method: 'POST' | 'DELETE', suffix: string) => {
    try {
      await api.send(method, path + suffix);
      onChanged();
    } catch (err) {
      onError(err as Error);
    }
  };
  return (
    <tr data-pipeline={p.group}>
      <td>
        <a href={href(['groups', p.group])}>{p.group}</a>
      </td>
      <td>{p.topics.join(', ')}</td>
      <td class="mono">{sinkText(p.sink)}</td>
      <td>{filterText(p.filter)}</td>
      <td>
        <Badge text={p.state} tone={p.state === 'running' ? 'ok' : p.state === 'failed' ? 'bad' : 'warn'} />
        {p.error ? <p class="pipeline-error">{p.error}</p> : null}
      </td>
      <td class="num">{formatCount(p.lag)}</td>
      <td class="actions">
        {p.source === 'config' ? (
          <span class="muted" title="defined in the gateway's YAML config: change it there">
            from config (read-only)
          </span>
        ) : (
          <>
            <button type="button" onClick={() => act('POST', p.state === 'running' ? '/pause' : '/resume')}>
              {RESUME_LABEL[p.state] ?? 'Pause'}
            </button>
            <button type="button" class="danger" onClick={() => setDeleting(true)}>
              Delete…
            </button>
          </>
        )}
        {deleting ? (
          <Confirm
            title={`Delete subscription ${p.group}?`}
            confirmLabel="Delete"
            onCancel={() => setDeleting(false)}
            onConfirm={() => {
              setDeleting(false);
              act('DELETE', forgetOffsets ? '?offsets=delete' : '');
            }}
          >
            <p>Its sink stops receiving data. Records stay in the topics.</p>
            <label>
              <input type="checkbox" checked={forgetOffsets} onChange={(e) => setForgetOffsets(e.currentTarget.checked)} /> also forget its committed
              offsets (a new subscription of this name starts afresh)
            </label>
          </Confirm>
        ) : null}
      </td>
    </tr>
  );
}

/** Subscriptions (pipelines): list, pause, resume, delete, and a form to create one. */
export function SubscriptionsView() {
  const { data, error, reload } = usePoll<{ pipelines: Pipeline[] }>('pipelines');
  const topics = usePoll<{ topics: Topic[] }>('topics', 30_000);
  const [actionError, setActionError] = useState<Error>();
  return (
    <div>
      <ErrorBox error={error} what="list the subscriptions" />
      <ErrorBox error={actionError} what="change the subscription" />
      {!data ? (
        error ? null : (
          <Loading what="subscriptions" />
        )
      ) : data.pipelines.length === 0 ? (
        <p class="muted">No subscriptions yet: create one below, or declare pipelines in the config.</p>
      ) : (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th>Group</th>
                <th>Topics</th>
                <th>Sink</th>
                <th>Filter</th>
                <th>State</th>
                <th class="num">Lag</th>
                <th>
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {data.pipelines.map((p) => (
                <Row
                  key={p.group}
                  p={p}
                  onChanged={() => {
                    setActionError(undefined);
                    reload();
                  }}
                  onError={setActionError}
                />
              ))}
            </tbody>
          </table>
        </div>
      )}
      {topics.data ? <SubscriptionForm topics={topics.data.topics} onCreated={reload} /> : <ErrorBox error={topics.error} what="list the topics" />}
    </div>
  );
}
