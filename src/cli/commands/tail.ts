// Runs on: main thread of the `tributary` command.
import { RecordView } from '../../log/record-view.js';
import type { ConsumedRecord } from '../../log/types.js';
import { protoToJson } from '../../otlp/proto-to-json.js';
import { REQUEST_MESSAGE } from '../../otlp/signals.js';
import { summarize } from '../tail/otlp-summary.js';
import { kindOfRecord, signalOfRecord } from '../../sinks/signals.js';
import { adminClientOf, nameInPath } from '../admin-client.js';
import { ADMIN_OPTIONS, parse, usageError } from '../args.js';
import type { Command } from '../command.js';
import { CliError, EXIT } from '../cli-error.js';
import { formatBytes } from '../output.js';

const usage = `Usage: tributary tail TOPIC [--from-beginning] [--partition P] [--decode] [--max N] [--once]

Follows a topic's new records and prints one summary line per record (partition, offset, time,
signal, items, services, key, size).

Options:
  --from-beginning  start at each partition's log start offset instead of its end
  --partition P     only this partition
  --decode          print each record's value as OTLP/JSON
  --max N           stop after N records
  --once            print what is there now, then stop
  --json            one JSON object per line: the record as the admin API returns it
  --admin URL       admin API of the gateway (default http://127.0.0.1:4320, env TRIBUTARY_ADMIN_URL)
  --token T         bearer token for the admin API (env TRIBUTARY_ADMIN_TOKEN)`;

const options = {
  ...ADMIN_OPTIONS,
  'from-beginning': { type: 'boolean', default: false },
  partition: { type: 'string' },
  decode: { type: 'boolean', default: false },
  max: { type: 'string' },
  once: { type: 'boolean', default: false },
} as const;

const POLL_INTERVAL_MS = 500;
const PAGE = 500;

interface RecordJson {
  offset: number;
  timestamp: number;
  key: string | null;
  headers: { key: string; value: string }[];
  value: string | null;
}
interface TopicJson {
  partitions: { partition: number; logStartOffset: number; highWatermark: number }[];
}

function toConsumed(topic: string, partition: number, r: RecordJson): ConsumedRecord {
  return RecordView.of({
    topic,
    partition,
    offset: r.offset,
    timestamp: r.timestamp,
    key: r.key === null ? null : Buffer.from(r.key, 'base64'),
    value: r.value === null ? null : Buffer.from(r.value, 'base64'),
    headers: r.headers.map((h) => ({ key: h.key, value: Buffer.from(h.value) })),
  });
}

/**
 * The record's time in ISO-8601; a Kafka producer may stamp any 64-bit number, and one outside
 * the dates JavaScript has (about ±275,000 years) is printed as the number it is.
 */
function timeOf(timestamp: number): string {
  const date = new Date(timestamp);
  return Number.isNaN(date.getTime()) ? String(timestamp) : date.toISOString();
}

function describeRecord(record: ConsumedRecord, decode: boolean): string {
  const where = `${record.topic}/${record.partition}@${record.offset}`;
  const when = timeOf(record.timestamp);
  let kind: ReturnType<typeof kindOfRecord>;
  let signal: ReturnType<typeof signalOfRecord>;
  let json: Record<string, unknown>;
  try {
    kind = kindOfRecord(record);
    signal = signalOfRecord(record);
    json = protoToJson(record.value ?? new Uint8Array(0), REQUEST_MESSAGE[signal]);
  } catch (err) {
    return `${where} ${when} (not OTLP: ${(err as Error).message}) ${formatBytes(record.value?.length ?? 0)}`;
  }
  if (decode) return `${where} ${when}\n${JSON.stringify(json, null, 2)}`;
  const { items, services } = summarize(signal, json);
  const key = record.key ? record.key.toString('utf8') : '-';
  return `${where} ${when} ${kind} items=${items} services=${[...services].join(',')} key=${key} ${formatBytes(record.value?.length ?? 0)}`;
}

export const tailCommand: Command = {
  usage,
  async run(argv) {
    const { values, positionals } = parse(argv, options, usage, 1);
    const [topic] = positionals;
    if (!topic) throw usageError('tail needs a TOPIC', usage);
    // Digits only: Number() reads "" as 0 and lets 1.5 through (which printed 2 records).
    const max = values.max === undefined ? Number.POSITIVE_INFINITY : Number(values.max);
    if (values.max !== undefined && !(/^\d+$/.test(values.max) && max >= 1)) throw usageError(`--max expects a whole number from 1, got "${values.max}"`, usage);
    const only = values.partition === undefined ? undefined : Number(values.partition);
    if (values.partition !== undefined && !/^\d+$/.test(values.partition)) throw usageError(`--partition expects a partition number, got "${values.partition}"`, usage);

    const client = adminClientOf(values, usage);
    const path = `api/v1/topics/${nameInPath(topic, 'topic')}`;
    const info = await client.get<TopicJson>(path);
    const partitions = info.partitions.filter((p) => only === undefined || p.partition === only);
    // Answered as the records API answers it: the gateway's refusal (exit 1), like an unknown topic.
    if (partitions.length === 0) throw new CliError(`topic ${topic} has partitions 0..${info.partitions.length - 1}, not ${only} (UNKNOWN_PARTITION)`);
    const next = new Map(partitions.map((p) => [p.partition, values['from-beginning'] ? p.logStartOffset : p.highWatermark]));

    let printed = 0;
    let stop = false;
    const onSignal = () => {
      stop = true;
    };
    process.once('SIGINT', onSignal);
    try {
      while (!stop && printed < max) {
        let got = 0;
        for (const [partition, offset] of next) {
          const page = await client.get<{ records: RecordJson[] }>(`${path}/records?partition=${partition}&offset=${offset}&limit=${PAGE}`);
          for (const r of page.records) {
            if (printed >= max) break;
            const line = values.json ? JSON.stringify({ topic, partition, ...r }) : describeRecord(toConsumed(topic, partition, r), values.decode);
            process.stdout.write(line + '\n');
            printed++;
            next.set(partition, r.offset + 1);
          }
          got += page.records.length;
        }
        if (got === 0) {
          if (values.once) break;
          await new Promise((r) => setTimeout(r, POLL_INTERVAL_MS));
        }
      }
    } finally {
      process.off('SIGINT', onSignal);
    }
    return EXIT.ok;
  },
};
