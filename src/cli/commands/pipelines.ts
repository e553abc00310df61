// Runs on: main thread of the `tributary` command.
import { readFileSync } from 'node:fs';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { adminClientOf, nameInPath } from '../admin-client.js';
import { ADMIN_OPTIONS, ADMIN_OPTIONS_USAGE, parse, usageError } from '../args.js';
import { CliError, EXIT } from '../cli-error.js';
import type { Command } from '../command.js';
import { printJson, printTable } from '../output.js';

const usage = `Usage:
  tributary pipelines list                       every pipeline: source, state, sink, lag
  tributary pipelines describe GROUP             one pipeline's settings (secrets redacted) and state
  tributary pipelines create --file FILE         a subscription from a YAML or JSON file (the API's body)
  tributary pipelines create --group G --topic T [--topic T ...] --sink TYPE [--sink-opt KEY=VALUE ...]
                             [--start earliest|latest|MS|ISO-8601] [--members N]
                             [--service NAME ...] [--tenant T ...] [--min-severity LEVEL] [--signal S ...]
      (flags add to, or replace, what --file gives)
  tributary pipelines pause GROUP                its members stop; its lag grows until resume
  tributary pipelines resume GROUP               it reads on from its committed offsets
  tributary pipelines delete GROUP [--delete-offsets]
                                                 stops it; --delete-offsets also forgets its group's offsets

Options:
  --sink-opt KEY=VALUE   a sink setting, e.g. endpoint=http://backend:4318 or headers.Authorization="Bearer x"
  --service NAME         filter.resource service.name: only these services
  --tenant T             filter.tenants: only records of these tenants
  --min-severity LEVEL   filter.min_severity for logs and events: TRACE, DEBUG, INFO, WARN, ERROR, FATAL or 1-24
  --signal S             filter.signals: traces, metrics, logs, events
${ADMIN_OPTIONS_USAGE}`;

const options = {
  ...ADMIN_OPTIONS,
  file: { type: 'string' },
  group: { type: 'string' },
  topic: { type: 'string', multiple: true },
  sink: { type: 'string' },
  'sink-opt': { type: 'string', multiple: true },
  start: { type: 'string' },
  members: { type: 'string' },
  service: { type: 'string', multiple: true },
  tenant: { type: 'string', multiple: true },
  'min-severity': { type: 'string' },
  signal: { type: 'string', multiple: true },
  'delete-offsets': { type: 'boolean', default: false },
} as const;

interface PipelineJson {
  group: string;
  topics?: string[];
  sink?: { type?: string };
  source: string;
  state: string;
  error?: string;
  lag: number | null;
}

type Values = ReturnType<typeof parse<typeof options>>['values'];

/** The API's body from --file, then the flags over it. */
function createBody(values: Values): Record<string, unknown> {
  const body: Record<string, unknown> = values.file ? readPipelineFile(values.file) : {};
  if (values.group) body.group = values.group;
  if (values.topic) body.topics = values.topic;
  const sink = { ...((body.sink as Record<string, unknown> | undefined) ?? {}) };
  if (values.sink) sink.type = values.sink;
  for (const option of values['sink-opt'] ?? []) setOption(sink, option);
  if (Object.keys(sink).length > 0) body.sink = sink;
  if (values.start) body.start = startOf(values.start);
  if (values.members) {
    const members = Number(values.members);
    if (!Number.isInteger(members)) throw usageError(`--members expects a whole number, not "${values.members}"`, usage);
    body.members = members;
  }
  const filter = { ...((body.filter as Record<string, unknown> | undefined) ?? {}) };
  if (values.service) filter.resource = { ...((filter.resource as object | undefined) ?? {}), 'service.name': values.service };
  if (values.tenant) filter.tenants = values.tenant;
  if (values['min-severity']) filter.min_severity = values['min-severity'];
  if (values.signal) filter.signals = values.signal;
  if (Object.keys(filter).length > 0) body.filter = filter;
  if (!body.group || !body.topics || !body.sink) throw usageError('pipelines create needs --file FILE, or --group, --topic and --sink', usage);
  return body;
}

function readPipelineFile(path: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = parseYaml(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new CliError(`cannot read ${path}: ${(err as Error).message}`, EXIT.usage);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new CliError(`${path}: expected one pipeline, a mapping of keys such as group, topics and sink`, EXIT.usage);
  return parsed as Record<string, unknown>;
}

/** `a.b=value`: the value read as YAML (numbers and booleans as such), nested at the dotted key. */
function setOption(target: Record<string, unknown>, option: string): void {
  const at = option.indexOf('=');
  if (at <= 0) throw usageError(`--sink-opt expects KEY=VALUE, not "${option}"`, usage);
  const keys = option.slice(0, at).split('.');
  const text = option.slice(at + 1);
  let value: unknown;
  try {
    value = parseYaml(text);
  } catch {
    value = text;
  }
  let node = target;
  for (const key of keys.slice(0, -1)) {
    if (node[key] === null || typeof node[key] !== 'object') node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[keys[keys.length - 1]] = value ?? text;
}

/** earliest, latest, ms since the epoch, or an ISO-8601 time. */
function startOf(text: string): unknown {
  if (text === 'earliest' || text === 'latest') return text;
  if (/^\d+$/.test(text)) return { timestamp: Number(text) };
  return { timestamp: text };
}

const show = (lag: number | null) => (lag === null ? '-' : lag);

export const pipelinesCommand: Command = {
  usage,
  async run(argv) {
    const { values, positionals } = parse(argv, options, usage, 2);
    const [action, group] = positionals;
    if (!action) throw usageError('pipelines needs an action: list, describe, create, pause, resume or delete', usage);
    const client = adminClientOf(values, usage);
    const path = (suffix = '') => `api/v1/pipelines/${nameInPath(group ?? '', 'group')}${suffix}`;
    const needGroup = () => {
      if (!group) throw usageError(`pipelines ${action} needs a GROUP`, usage);
    };
    const printOne = (p: PipelineJson) => {
      if (values.json) printJson(p);
      else process.stdout.write(toYaml(p));
    };
    switch (action) {
      case 'list': {
        const { pipelines } = await client.get<{ pipelines: PipelineJson[] }>('api/v1/pipelines');
        if (values.json) printJson({ pipelines });
        else printTable(['GROUP', 'SOURCE', 'STATE', 'SINK', 'TOPICS', 'LAG'], pipelines.map((p) => [p.group, p.source, p.state, p.sink?.type ?? '-', (p.topics ?? []).join(','), show(p.lag)]));
        return EXIT.ok;
      }
      case 'describe':
        needGroup();
        printOne(await client.get<PipelineJson>(path()));
        return EXIT.ok;
      case 'create':
        printOne(await client.post<PipelineJson>('api/v1/pipelines', createBody(values)));
        return EXIT.ok;
      case 'pause':
      case 'resume':
        needGroup();
        printOne(await client.post<PipelineJson>(path(`/${action}`), undefined));
        return EXIT.ok;
      case 'delete': {
        needGroup();
        const result = await client.delete<{ group: string; offsets: string }>(path(values['delete-offsets'] ? '?offsets=delete' : ''));
        if (values.json) printJson(result);
        else process.stdout.write(`deleted pipeline ${result.group}; its offsets were ${result.offsets}\n`);
        return EXIT.ok;
      }
      default:
        throw usageError(`unknown action "${action}"`, usage);
    }
  },
};
