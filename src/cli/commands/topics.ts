// Runs on: main thread of the `tributary` command.
import { counted } from '../../counted.js';
import { adminClientOf, nameInPath } from '../admin-client.js';
import { ADMIN_OPTIONS, ADMIN_OPTIONS_USAGE, parse, usageError } from '../args.js';
import type { Command } from '../command.js';
import { EXIT } from '../cli-error.js';
import { formatBytes, printJson, printTable } from '../output.js';

interface PartitionJson {
  partition: number;
  leader: number;
  replicas: number[];
  isr: number[];
  logStartOffset: number;
  highWatermark: number;
  /** Null where the log cannot tell (a Kafka cluster): `unavailable` says why. */
  sizeBytes: number | null;
}
interface TopicJson {
  name: string;
  settings: Record<string, number | undefined>;
  partitions: PartitionJson[];
  unavailable?: Record<string, string>;
}

const usage = `Usage:
  tributary topics list                              topics with partitions, records and size
  tributary topics describe TOPIC                    its own settings; partitions: leader, replicas, ISR, offsets, size
  tributary topics create TOPIC --partitions N [SETTINGS]
  tributary topics alter TOPIC SETTINGS
  tributary topics delete TOPIC                      deletes it, its records and the groups' offsets on it;
                                                     refused for the receiver's topics and those a pipeline uses

Settings (each left out is the config's log.* value):
  --retention-ms MS      delete segments older than this; -1: no limit (write --retention-ms=-1)
  --retention-bytes B    per partition, delete the oldest segments past this size; -1: no limit
  --segment-bytes B      roll a segment at this size
  --segment-ms MS        ... or at this age

Options:
${ADMIN_OPTIONS_USAGE}`;

const options = {
  ...ADMIN_OPTIONS,
  partitions: { type: 'string' },
  'retention-ms': { type: 'string' },
  'retention-bytes': { type: 'string' },
  'segment-bytes': { type: 'string' },
  'segment-ms': { type: 'string' },
} as const;

/** The settings flags, by the admin API's name for each. */
const SETTING_FLAGS = { retentionMs: 'retention-ms', retentionBytes: 'retention-bytes', segmentBytes: 'segment-bytes', segmentMs: 'segment-ms' } as const;

function intOption(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n)) throw usageError(`--${name} expects a whole number, got "${value}"`, usage);
  return n;
}

/** A topic's own settings, in one line above its partitions. */
function settingsLine(settings: TopicJson['settings']): string {
  const own = Object.keys(SETTING_FLAGS).flatMap((key) => (settings[key] === undefined ? [] : [[key, settings[key]] as const]));
  if (own.length === 0) return 'settings: the log.* defaults';
  const shown = own.map(([key, value]) => `${key}=${value}${value === -1 ? ' (no limit)' : ''}`);
  return `settings: ${shown.join(', ')}; the others are the log.* defaults`;
}

function printTopic(topic: TopicJson): void {
  process.stdout.write(`${settingsLine(topic.settings)}\n`);
  printTable(
    ['PARTITION', 'LEADER', 'REPLICAS', 'ISR', 'LOG START', 'HIGH WATERMARK', 'SIZE'],
    topic.partitions.map((p) => [p.partition, p.leader, p.replicas.join(','), p.isr.join(','), p.logStartOffset, p.highWatermark, p.sizeBytes === null ? '-' : formatBytes(p.sizeBytes)]),
  );
}

export const topicsCommand: Command = {
  usage,
  async run(argv) {
    const { values, positionals } = parse(argv, options, usage, 2);
    const [action, name] = positionals;
    if (!action) throw usageError('topics needs an action: list, describe, create, alter or delete', usage);
    const client = adminClientOf(values, usage);
    const settings = Object.fromEntries(
      Object.entries(SETTING_FLAGS).flatMap(([key, flag]) => {
        const value = intOption(values[flag], flag);
        return value === undefined ? [] : [[key, value]];
      }),
    );
    switch (action) {
      case 'list': {
        const { topics } = await client.get<{ topics: TopicJson[] }>('api/v1/topics');
        if (values.json) printJson({ topics });
        else
          printTable(
            ['TOPIC', 'PARTITIONS', 'RECORDS', 'SIZE'],
            topics.map((t) => [
              t.name,
              t.partitions.length,
              t.partitions.reduce((n, p) => n + p.highWatermark - p.logStartOffset, 0),
              t.partitions.some((p) => p.sizeBytes === null) ? '-' : formatBytes(t.partitions.reduce((n, p) => n + (p.sizeBytes ?? 0), 0)),
            ]),
          );
        return EXIT.ok;
      }
      case 'describe': {
        if (!name) throw usageError('topics describe needs a TOPIC', usage);
        const topic = await client.get<TopicJson>(`api/v1/topics/${nameInPath(name, 'topic')}`);
        if (values.json) printJson(topic);
        else printTopic(topic);
        return EXIT.ok;
      }
      case 'create': {
        const partitions = intOption(values.partitions, 'partitions');
        if (!name || partitions === undefined) throw usageError('topics create needs a TOPIC and --partitions N', usage);
        const topic = await client.post<TopicJson>('api/v1/topics', { name, partitions, ...settings });
        if (values.json) printJson(topic);
        else process.stdout.write(`created topic ${topic.name} with ${counted(topic.partitions.length, 'partition')}\n`);
        return EXIT.ok;
      }
      case 'alter': {
        if (!name) throw usageError('topics alter needs a TOPIC', usage);
        if (Object.keys(settings).length === 0) throw usageError('topics alter needs a setting to change: --retention-ms, --retention-bytes, --segment-bytes or --segment-ms', usage);
        const topic = await client.patch<TopicJson>(`api/v1/topics/${nameInPath(name, 'topic')}`, settings);
        if (values.json) printJson(topic);
        else process.stdout.write(`updated topic ${topic.name}: ${JSON.stringify(topic.settings)}\n`);
        return EXIT.ok;
      }
      case 'delete': {
        if (!name) throw usageError('topics delete needs a TOPIC', usage);
        const result = await client.delete<{ topic: string }>(`api/v1/topics/${nameInPath(name, 'topic')}`);
        if (values.json) printJson(result);
        else process.stdout.write(`deleted topic ${result.topic}\n`);
        return EXIT.ok;
      }
      default:
        throw usageError(`unknown action "${action}"`, usage);
    }
  },
};
