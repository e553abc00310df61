// Runs in: the browser (the web console).
import { Badge, ErrorBox, Loading } from '../components/status.js';
import { formatCount } from '../format.js';
import { usePoll } from '../hooks.js';
import { href } from '../router.js';
import type { Broker, Cluster, Topic } from '../types.js';

type Role = 'leader' | 'follower' | 'out-of-sync';

interface Replica {
  topic: string;
  partition: number;
  role: Role;
}

/** Each broker's replicas: the partitions it leads, follows in sync, or follows behind (not in the ISR). */
function replicasByBroker(topics: Topic[]): Map<number, Replica[]> {
  const byBroker = new Map<number, Replica[]>();
  for (const t of topics) {
    for (const p of t.partitions) {
      const holders = new Set([p.leader, ...p.replicas]);
      for (const broker of holders) {
        const role: Role = broker === p.leader ? 'leader' : p.isr.includes(broker) ? 'follower' : 'out-of-sync';
        const list = byBroker.get(broker) ?? [];
        list.push({ topic: t.name, partition: p.partition, role });
        byBroker.set(broker, list);
      }
    }
  }
  return byBroker;
}

function brokerTone(state: string) {
  return state === 'running' ? 'ok' : state === 'restarting' || state === 'starting' ? 'warn' : 'bad';
}

function BrokerCard({ broker, controller, replicas }: { broker: Broker; controller: boolean; replicas: Replica[] }) {
  const leaders = replicas.filter((r) => r.role === 'leader');
  const topics = [...new Set(replicas.map((r) => r.topic))];
  return (
    <section class="broker" data-broker={broker.id} aria-label={`Broker ${broker.id}`}>
      <header>
        <h2>Broker {broker.id}</h2>
        <Badge text={broker.state} tone={brokerTone(broker.state)} />
        {controller ? <Badge text="controller" tone="info" /> : null}
      </header>
      <p class="muted">
        leads {leaders.length} of {replicas.length} replicas
        {broker.host ? ` · ${broker.host}:${broker.port}` : ''}
        {broker.restarts > 0 ? ` · restarted ${formatCount(broker.restarts)}×` : ''}
      </p>
      {topics.map((topic) => (
        <div class="broker-topic" key={topic}>
          <a class="topic-link" href={href(['topics', topic])}>{topic}</a>
          <ul class="chips">
            {replicas
              .filter((r) => r.topic === topic)
              .map((r) => (
                <li key={r.partition} class={`chip ${r.role}`} data-role={r.role} title={`${topic} partition ${r.partition}: ${r.role}`}>
                  {topic}/{r.partition}
                </li>
              ))}
          </ul>
        </div>
      ))}
      {replicas.length === 0 ? <p class="muted">No partitions.</p> : null}
    </section>
  );
}

/** The cluster as Kafka introductions draw it: brokers side by side, the partitions each holds, leaders marked. */
export function ClusterView() {
  const cluster = usePoll<Cluster>('cluster');
  const topics = usePoll<{ topics: Topic[] }>('topics');
  const error = cluster.error ?? topics.error;
  if (!cluster.data || !topics.data) return error ? <ErrorBox error={error} what="read the cluster" /> : <Loading what="the cluster" />;
  const byBroker = replicasByBroker(topics.data.topics);
  const c = cluster.data;
  return (
    <div>
      <ErrorBox error={error} what="refresh the cluster" />
      <p class="summary">
        Cluster <code>{c.clusterId}</code> · {c.backend} log · {c.brokers.length} brokers · {topics.data.topics.length} topics
      </p>
      {c.controller < 0 ? (
        <section class="controller" aria-label="Controller">
          <strong>Controller</strong> the gateway's main thread: it keeps the metadata, picks each partition's leader and tracks the ISR; the brokers
          are its worker threads.
        </section>
      ) : null}
      <div class="legend" aria-hidden="true">
        <span class="chip leader">leader</span>
        <span class="chip follower">in-sync follower</span>
        <span class="chip out-of-sync">follower not in ISR</span>
      </div>
      <div class="brokers">
        {c.brokers.map((b) => (
          <BrokerCard key={b.id} broker={b} controller={b.id === c.controller} replicas={byBroker.get(b.id) ?? []} />
        ))}
      </div>
    </div>
  );
}
