// Runs on: main thread of the `tributary` command.
import { AdminClient, nameInPath } from '../admin-client.js';
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
  tributary topics describe TOPIC                    partitions: leader, replicas, ISR, offsets, size
  tributary topics create TOPIC --partitions N [--retention-ms MS] [--retention-bytes B]
  tributary topics alter TOPIC [--retention-ms MS] [--retention-bytes B]

Options:
${ADMIN_OPTIONS_USAGE}`;

const options = {
  ...ADMIN_OPTIONS,
  partitions: { type: 'string' },
  'retention-ms': { type: 'string' },
  'retention-bytes': { type: 'string' },
} as const;

function intOption(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n)) throw usageError(`--${name} expects a whole number, got "${value}"`, usage);
  return n;
}

function printTopic(topic: TopicJson): void {
  printTable(
    ['PARTITION', 'LEADER', 'REPLICAS', 'ISR', 'LOG START', 'HIGH WATERMARK', 'SIZE'],
    topic.partitions.map((p) => [p.partition, p.leader, p.replicas.join(','), p.isr.join(','), p.logStartOffset, p.highWatermark, p.sizeBytes === null ? '-' : formatBytes(p.sizeBytes)]),
  );
}

export const topicsCommand: Command = {
  usage,
  async run(argv) {
    const { values, positionals } = parse(argv, options, usage);
    const [action, name] = positionals;
    if (!action) throw usageError("topics needs an action: list, describe, create or alter", usage);
    const client = new AdminClient(values.admin, values.token);
    const settings = { retentionMs: intOption(values['retention-ms'], 'retention-ms'), retentionBytes: intOption(values['retention-bytes'], 'retention-bytes') };
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
        else process.stdout.write(`created topic ${topic.name} with ${topic.partitions.length} partitions\n`);
        return EXIT.ok;
      }
      case 'alter': {
        if (!name) throw usageError('topics alter needs a TOPIC', usage);
        if (settings.retentionMs === undefined && settings.retentionBytes === undefined) {
          throw usageError('topics alter needs --retention-ms or --retention-bytes', usage);
        }
        const topic = await client.patch<TopicJson>(`api/v1/topics/${nameInPath(name, 'topic')}`, settings);
        if (values.json) printJson(topic);
        else process.stdout.write(`updated topic ${topic.name}: ${JSON.stringify(topic.settings)}\n`);
        return EXIT.ok;
      }
      default:
        throw usageError(`unknown action "${action}"`, usage);
    }
  },
};
