// Runs on: main thread.
import { TributaryError } from '../errors.js';
import type { PartitionInfo, TopicPartition } from '../log/types.js';
import { compareTopicPartitions, topicPartitionKey } from './assignors/assignor.js';
import type { GroupLogView } from './group-log-view.js';
import type { CommittedOffset, OffsetResetTarget, PartitionLag, PartitionOffset } from './types.js';

/**
 * The partitions of each topic, looked up once per topic, their offsets read from the leaders'
 * shared memory (no request to a broker thread: the lag of every group is read at each scrape);
 * a topic deleted since is left out.
 */
function partitionsOf(log: GroupLogView, topics: Iterable<string>): Map<string, PartitionInfo[]> {
  const out = new Map<string, PartitionInfo[]>();
  for (const topic of new Set(topics)) {
    try {
      out.set(topic, log.describeTopicLayout(topic).partitions);
    } catch (err) {
      if (!(err instanceof TributaryError && err.code === 'UNKNOWN_TOPIC')) throw err;
    }
  }
  return out;
}

/**
 * Lag of every partition the group committed or has assigned: high watermark − committed offset
 * (never below zero), null where nothing was committed, with the commit's metadata where it has
 * some; and the sum of the known lags.
 */
export function describeLag(
  log: GroupLogView,
  committed: readonly CommittedOffset[],
  assigned: readonly TopicPartition[],
): { partitions: PartitionLag[]; totalLag: number } {
  const byKey = new Map<string, TopicPartition>();
  for (const tp of [...assigned, ...committed]) byKey.set(topicPartitionKey(tp), { topic: tp.topic, partition: tp.partition });
  const committedByKey = new Map(committed.map((o) => [topicPartitionKey(o), o]));
  const infos = partitionsOf(log, [...byKey.values()].map((tp) => tp.topic));
  const partitions = [...byKey.values()].sort(compareTopicPartitions).map((tp): PartitionLag => {
    const commit = committedByKey.get(topicPartitionKey(tp));
    const committedOffset = commit?.offset ?? null;
    const highWatermark = infos.get(tp.topic)?.[tp.partition]?.highWatermark ?? 0;
    const lag = committedOffset === null ? null : Math.max(0, highWatermark - committedOffset);
    return { topic: tp.topic, partition: tp.partition, committedOffset, highWatermark, lag, ...(commit?.metadata ? { metadata: commit.metadata } : {}) };
  });
  return { partitions, totalLag: partitions.reduce((sum, p) => sum + (p.lag ?? 0), 0) };
}

/** The offset of every partition of `topics` for a reset target, within [logStartOffset, highWatermark]. */
export async function resolveResetOffsets(log: GroupLogView, target: OffsetResetTarget, topics: readonly string[]): Promise<PartitionOffset[]> {
  const out: PartitionOffset[] = [];
  for (const topic of new Set(topics)) {
    const { partitions } = await log.describeTopic(topic);
    for (const p of partitions) {
      let offset: number;
      switch (target.type) {
        case 'earliest':
          offset = p.logStartOffset;
          break;
        case 'latest':
          offset = p.highWatermark;
          break;
        case 'timestamp':
          offset = await log.offsetForTimestamp(topic, p.partition, target.timestamp);
          break;
        case 'offset':
          if (!Number.isSafeInteger(target.offset)) throw new TributaryError('INVALID_REQUEST', `reset offset ${target.offset} is not an integer`);
          offset = target.offset;
          break;
        default:
          throw new TributaryError('INVALID_REQUEST', `unknown reset target ${JSON.stringify(target)}; expected earliest, latest, timestamp or offset`);
      }
      out.push({ topic, partition: p.partition, offset: Math.min(Math.max(offset, p.logStartOffset), p.highWatermark) });
    }
  }
  return out;
}
