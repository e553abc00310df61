/**
 * Runs on: main thread.
 * Checks that span several keys, run once every key is valid on its own. Each problem names the
 * key to change, so `tributary start` can print it as `path: what is wrong`.
 */
import { fileSinkPathProblems } from './file-sink-paths.js';
import type { KeyProblem } from './issues.js';
import { splitEndpoint } from './units.js';

/** The parts of a parsed config these checks read. */
export interface CrossCheckedConfig {
  receiver: { endpoint: string; topics: Readonly<Record<string, string>> };
  admin: { endpoint: string };
  log: { data_dir: string };
  groups: { session_timeout: number; heartbeat_interval: number };
  pipelines: readonly CheckedPipeline[];
}

interface CheckedPipeline {
  group: string;
  topics: readonly string[];
  dead_letter: { enabled: boolean; topic?: string | undefined };
  filter?: { signals?: readonly string[] | undefined } | undefined;
  sink: { type: string; path?: unknown; compression?: unknown };
}

/** Kafka's longest topic name. */
const MAX_TOPIC_NAME = 249;

/** The topic a pipeline's rejected batches go to: its own setting, or `<group>.dlq`. */
export function deadLetterTopicOf(pipeline: Pick<CheckedPipeline, 'group' | 'dead_letter'>): string {
  return pipeline.dead_letter.topic ?? `${pipeline.group}.dlq`;
}

export function problemsAcrossKeys(config: CrossCheckedConfig): KeyProblem[] {
  return [
    ...heartbeatProblems(config.groups),
    ...endpointProblems(config),
    ...pipelineProblems(config),
    ...fileSinkPathProblems(config.log.data_dir, config.pipelines),
  ];
}

/**
 * The Kafka listener reads every topic and deletes topics and groups: beside a token-guarded admin
 * API, an open listener would be the way round it. Over Apache Kafka no listener opens.
 */
export function openKafkaListenerProblems(config: {
  admin: { auth?: unknown };
  log: { backend: string };
  kafka: { listener: string; auth?: unknown };
}): KeyProblem[] {
  if (config.admin.auth === undefined || config.log.backend !== 'embedded' || config.kafka.listener === '' || config.kafka.auth !== undefined) return [];
  const message = `required while admin.auth is set and kafka.listener (${config.kafka.listener}) is on: without it any client that reaches the listener reads every topic and deletes topics and groups with no token; set kafka.auth.tokens, or turn the listener off with kafka.listener: ""`;
  return [{ path: ['kafka', 'auth'], message }];
}

/** A member heartbeating no more often than the session times out is removed between two beats. */
function heartbeatProblems(groups: CrossCheckedConfig['groups']): KeyProblem[] {
  if (groups.heartbeat_interval === 0) return [{ path: ['groups', 'heartbeat_interval'], message: 'expected more than 0 ms' }];
  if (groups.heartbeat_interval < groups.session_timeout) return [];
  return [
    {
      path: ['groups', 'heartbeat_interval'],
      message: `${groups.heartbeat_interval} ms is not below groups.session_timeout (${groups.session_timeout} ms): members would be removed between heartbeats`,
    },
  ];
}

const WILDCARD_HOSTS = new Set(['', '0.0.0.0', '::']);

/** Two listeners on one port fail at bind time; port 0 asks for a free port, so it never clashes. */
function endpointProblems(config: CrossCheckedConfig): KeyProblem[] {
  const receiver = splitEndpoint(config.receiver.endpoint);
  const admin = splitEndpoint(config.admin.endpoint);
  if (receiver.port === 0 || receiver.port !== admin.port) return [];
  const sameHost = receiver.host === admin.host || WILDCARD_HOSTS.has(receiver.host) || WILDCARD_HOSTS.has(admin.host);
  if (!sameHost) return [];
  return [{ path: ['admin', 'endpoint'], message: `${config.admin.endpoint} is also receiver.endpoint (${config.receiver.endpoint}): each needs a port of its own` }];
}

function pipelineProblems(config: CrossCheckedConfig): KeyProblem[] {
  const problems: KeyProblem[] = [];
  const receiverTopics = new Map(Object.entries(config.receiver.topics).map(([kind, topic]) => [topic, kind]));
  const groupAt = new Map<string, number>();
  config.pipelines.forEach((p, i) => {
    const earlier = groupAt.get(p.group);
    // Two pipelines in one group would split its partitions between their sinks: each gets part of the data.
    if (earlier !== undefined) problems.push({ path: ['pipelines', i, 'group'], message: `"${p.group}" is also the group of pipelines[${earlier}]` });
    else groupAt.set(p.group, i);
    const signals = p.filter?.signals;
    const kinds = p.topics.map((topic) => receiverTopics.get(topic));
    // Topics of the receiver hold one kind each: a filter that passes none of them would deliver nothing, ever.
    if (signals?.length && kinds.every((kind) => kind !== undefined && !signals.includes(kind))) {
      problems.push({
        path: ['pipelines', i, 'filter', 'signals'],
        message: `none of ${signals.join(', ')} is in this pipeline's topics (${p.topics.map((t, j) => `${t}: ${kinds[j]}`).join(', ')}): it would deliver nothing`,
      });
    }
    if (!p.dead_letter.enabled) return;
    const topic = deadLetterTopicOf(p);
    // Named at dead_letter.topic even when it is the default: that is the key that fixes it.
    const path = ['pipelines', i, 'dead_letter', 'topic'];
    const named = p.dead_letter.topic === undefined ? `"${topic}" (the default, <group>.dlq)` : `"${topic}"`;
    if (topic.length > MAX_TOPIC_NAME) {
      problems.push({ path, message: `${named} is longer than ${MAX_TOPIC_NAME} characters` });
    } else if (p.topics.includes(topic)) {
      problems.push({ path, message: `${named} is one of this pipeline's own topics: rejected records would be read and rejected again, forever` });
    } else if (receiverTopics.has(topic)) {
      problems.push({ path, message: `${named} is receiver.topics.${receiverTopics.get(topic)}: dead letters need a topic of their own` });
    }
  });
  problems.push(...deadLetterLoops(config.pipelines));
  return problems;
}

/**
 * A pipeline reading another's dead letters is how rejected records are replayed; but when the
 * chain comes back to where it started, a record every sink rejects goes round forever.
 */
function deadLetterLoops(pipelines: readonly CheckedPipeline[]): KeyProblem[] {
  const readers = (topic: string) => pipelines.flatMap((p, i) => (p.topics.includes(topic) ? [i] : []));
  const next = pipelines.map((p, i) => (p.dead_letter.enabled ? readers(deadLetterTopicOf(p)).filter((j) => j !== i) : []));
  const reported = new Set<number>();
  const problems: KeyProblem[] = [];
  for (let start = 0; start < pipelines.length; start++) {
    const chain = loopFrom(start, next);
    if (!chain || chain.some((i) => reported.has(i))) continue;
    for (const i of chain) reported.add(i);
    const route = [...chain, start].map((i) => `pipelines[${i}]`).join(' → ');
    problems.push({
      path: ['pipelines', start, 'dead_letter', 'topic'],
      message: `dead letters go round in a loop (${route}): a record every sink rejects would never stop`,
    });
  }
  return problems;
}

/** The pipelines on a path from `start` back to itself through dead-letter topics, if there is one. */
function loopFrom(start: number, next: readonly number[][]): number[] | undefined {
  const seen = new Set<number>();
  const walk = (at: number, chain: number[]): number[] | undefined => {
    for (const j of next[at]) {
      if (j === start) return chain;
      if (seen.has(j)) continue;
      seen.add(j);
      const found = walk(j, [...chain, j]);
      if (found) return found;
    }
    return undefined;
  };
  return walk(start, [start]);
}
