// Runs on: main thread.
import { Hono } from 'hono';
import { z } from 'zod';
import { NAME_PATTERN } from '../../config/schema.js';
import { TributaryError } from '../../errors.js';
import type { LogBackend } from '../../log/backend.js';
import { keptAsSafeLong } from '../../log/storage-limits.js';
import type { ConsumedRecord, TopicInfo } from '../../log/types.js';
import { protoToJson } from '../../otlp/proto-to-json.js';
import { REQUEST_MESSAGE } from '../../otlp/signals.js';
import { kindOfRecord } from '../../sinks/signals.js';
import { errorResponse } from '../error-response.js';
import { parseBody, parseQuery, queryInteger } from '../validate.js';

const MAX_RECORDS_PER_PAGE = 1000;
/**
 * Keys and values one answer holds at most (the record that reaches it included, so a page always
 * has one): a thousand records of megabytes each would take gigabytes to answer, and past about
 * 512 MiB of JSON V8 cannot make the string at all. Clients read on from the last offset.
 */
export const MAX_RECORDS_PAGE_BYTES = 16 * 1024 * 1024;
/** Kafka's partition numbers are int32. */
const MAX_PARTITION = 2 ** 31 - 1;

const topicName = z.string().regex(NAME_PATTERN, { error: 'expected 1-249 characters of a-z, A-Z, 0-9, ".", "_", "-"' });
/** Ages and sizes as Kafka's longs: Long.MAX_VALUE, copied from a Kafka config, is kept as 2^53 - 1 (keptAsSafeLong). */
const settingsShape = {
  retentionMs: z.preprocess(keptAsSafeLong, z.number().int().min(-1)).optional(),
  retentionBytes: z.preprocess(keptAsSafeLong, z.number().int().min(-1)).optional(),
  segmentBytes: z.number().int().min(1024).optional(),
  segmentMs: z.preprocess(keptAsSafeLong, z.number().int().min(1)).optional(),
};
const createTopicBody = z.strictObject({ name: topicName, partitions: z.number().int().min(1).max(10_000), ...settingsShape });
const updateTopicBody = z.strictObject(settingsShape);
const recordsQuery = z.strictObject({
  partition: queryInteger(0, MAX_PARTITION).default(0),
  offset: queryInteger(0, Number.MAX_SAFE_INTEGER).optional(),
  limit: queryInteger(1, MAX_RECORDS_PER_PAGE).default(100),
  /** Start at the first record at or after this time (ms since the epoch) instead of at `offset`. */
  timestamp: queryInteger(0, Number.MAX_SAFE_INTEGER).optional(),
  /** `otlp-json`: each value decoded from OTLP protobuf to its OTLP/JSON object. */
  format: z.enum(['base64', 'otlp-json']).default('base64'),
});

/** The documented topic shape, plus the topic's settings. */
function topicJson(topic: TopicInfo) {
  return {
    name: topic.name,
    settings: topic.settings,
    partitions: topic.partitions.map((p) => ({
      partition: p.partition,
      leader: p.leader,
      replicas: p.replicas,
      isr: p.isr,
      leaderEpoch: p.leaderEpoch,
      logStartOffset: p.logStartOffset,
      highWatermark: p.highWatermark,
      sizeBytes: p.sizeBytes,
    })),
    ...(topic.unavailable ? { unavailable: topic.unavailable } : {}),
  };
}

function recordJson(r: ConsumedRecord) {
  return {
    offset: r.offset,
    timestamp: r.timestamp,
    key: r.key?.toString('base64') ?? null,
    headers: r.headers.map((h) => ({ key: h.key, value: h.value.toString('utf8') })),
    value: r.value?.toString('base64') ?? null,
  };
}

/**
 * A record with its value as OTLP/JSON, and what it holds (`signal`: traces, metrics, logs or
 * events). A value that does not decode keeps its base64 and says why in `decodeError`.
 */
function decodedRecordJson(r: ConsumedRecord) {
  const raw = recordJson(r);
  try {
    const kind = kindOfRecord(r);
    const message = REQUEST_MESSAGE[kind === 'events' ? 'logs' : kind];
    return { ...raw, signal: kind, value: protoToJson(r.value ?? new Uint8Array(0), message) };
  } catch (err) {
    return { ...raw, decodeError: err instanceof Error ? err.message : String(err) };
  }
}

function checkName(name: string): string {
  if (!NAME_PATTERN.test(name)) throw new TributaryError('INVALID_TOPIC', `invalid topic name "${name}"`);
  return name;
}

/** Reads up to `limit` records (and MAX_RECORDS_PAGE_BYTES) from `offset`, across as many fetches as that takes. */
async function readRecords(backend: LogBackend, topic: string, partition: number, offset: number | undefined, limit: number) {
  const info = await backend.describeTopic(topic);
  const p = info.partitions[partition];
  if (!p) {
    throw new TributaryError('UNKNOWN_PARTITION', `topic ${topic} has partitions 0..${info.partitions.length - 1}, not ${partition}`);
  }
  let next = offset ?? p.logStartOffset;
  const records: ConsumedRecord[] = [];
  let highWatermark = p.highWatermark;
  let bytes = 0;
  while (records.length < limit && bytes < MAX_RECORDS_PAGE_BYTES) {
    const result = await backend.fetch({ topic, partition, offset: next, maxBytes: 1024 * 1024 });
    highWatermark = result.highWatermark;
    for (const record of result.records) {
      if (records.length >= limit || bytes >= MAX_RECORDS_PAGE_BYTES) break;
      records.push(record);
      bytes += (record.key?.length ?? 0) + (record.value?.length ?? 0);
    }
    if (result.records.length === 0 || result.nextOffset >= result.highWatermark) break;
    next = result.nextOffset;
  }
  return { records, highWatermark };
}

/** `deleteTopic`: the gateway's deletion, which refuses the topics it uses (src/topic-guard.ts). */
export function topicRoutes(backend: LogBackend, deleteTopic: (topic: string) => Promise<void>): Hono {
  const app = new Hono();
  app.onError((err, c) => errorResponse(c, err));

  app.get('/', async (c) => c.json({ topics: (await backend.listTopics()).map(topicJson) }));

  app.post('/', async (c) => {
    const body = await parseBody(c, createTopicBody);
    const { name, partitions, ...settings } = body;
    return c.json(topicJson(await backend.createTopic({ name, partitions, ...settings })), 201);
  });

  app.get('/:topic', async (c) => c.json(topicJson(await backend.describeTopic(checkName(c.req.param('topic'))))));

  app.patch('/:topic', async (c) => {
    const settings = await parseBody(c, updateTopicBody);
    return c.json(topicJson(await backend.updateTopic(checkName(c.req.param('topic')), settings)));
  });

  app.delete('/:topic', async (c) => {
    const topic = checkName(c.req.param('topic'));
    await deleteTopic(topic);
    return c.json({ topic, deleted: true });
  });

  app.get('/:topic/records', async (c) => {
    const topic = checkName(c.req.param('topic'));
    const q = parseQuery(c, recordsQuery);
    if (q.offset !== undefined && q.timestamp !== undefined) throw new TributaryError('INVALID_REQUEST', 'query: give offset or timestamp, not both');
    const offset = q.timestamp === undefined ? q.offset : await backend.offsetForTimestamp(topic, q.partition, q.timestamp);
    const { records, highWatermark } = await readRecords(backend, topic, q.partition, offset, q.limit);
    return c.json({ topic, partition: q.partition, highWatermark, records: q.format === 'otlp-json' ? records.map(decodedRecordJson) : records.map(recordJson) });
  });

  return app;
}
