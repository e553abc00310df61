// Runs on: main thread.
import { Hono } from 'hono';
import { z } from 'zod';
import { NAME_PATTERN } from '../../config/schema.js';
import { TributaryError } from '../../errors.js';
import type { LogBackend } from '../../log/backend.js';
import type { ConsumedRecord, TopicInfo } from '../../log/types.js';
import { errorResponse } from '../error-response.js';
import { parseBody, parseQuery, queryInteger } from '../validate.js';

const MAX_RECORDS_PER_PAGE = 1000;
/** Kafka's partition numbers are int32. */
const MAX_PARTITION = 2 ** 31 - 1;

const topicName = z.string().regex(NAME_PATTERN, { error: 'expected 1-249 characters of a-z, A-Z, 0-9, ".", "_", "-"' });
const settingsShape = {
  retentionMs: z.number().int().min(-1).optional(),
  retentionBytes: z.number().int().min(-1).optional(),
  segmentBytes: z.number().int().min(1024).optional(),
  segmentMs: z.number().int().min(1).optional(),
};
const createTopicBody = z.strictObject({ name: topicName, partitions: z.number().int().min(1).max(10_000), ...settingsShape });
const updateTopicBody = z.strictObject(settingsShape);
const recordsQuery = z.strictObject({
  partition: queryInteger(0, MAX_PARTITION).default(0),
  offset: queryInteger(0, Number.MAX_SAFE_INTEGER).optional(),
  limit: queryInteger(1, MAX_RECORDS_PER_PAGE).default(100),
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

function checkName(name: string): string {
  if (!NAME_PATTERN.test(name)) throw new TributaryError('INVALID_TOPIC', `invalid topic name "${name}"`);
  return name;
}

/** Reads up to `limit` records from `offset`, across as many fetches as the byte budget needs. */
async function readRecords(backend: LogBackend, topic: string, partition: number, offset: number | undefined, limit: number) {
  const info = await backend.describeTopic(topic);
  const p = info.partitions[partition];
  if (!p) {
    throw new TributaryError('UNKNOWN_PARTITION', `topic ${topic} has partitions 0..${info.partitions.length - 1}, not ${partition}`);
  }
  let next = offset ?? p.logStartOffset;
  const records: ConsumedRecord[] = [];
  let highWatermark = p.highWatermark;
  while (records.length < limit) {
    const result = await backend.fetch({ topic, partition, offset: next, maxBytes: 1024 * 1024 });
    highWatermark = result.highWatermark;
    records.push(...result.records.slice(0, limit - records.length));
    if (result.records.length === 0 || result.nextOffset >= result.highWatermark) break;
    next = result.nextOffset;
  }
  return { records, highWatermark };
}

export function topicRoutes(backend: LogBackend): Hono {
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

  app.get('/:topic/records', async (c) => {
    const topic = checkName(c.req.param('topic'));
    const q = parseQuery(c, recordsQuery);
    const { records, highWatermark } = await readRecords(backend, topic, q.partition, q.offset, q.limit);
    return c.json({ topic, partition: q.partition, highWatermark, records: records.map(recordJson) });
  });

  return app;
}
