/**
 * Runs on: main thread.
 *
 * Kafka's consumer protocol ("consumer" protocol type): the subscription a member sends with
 * JoinGroup and the assignment the leader sends with SyncGroup, each a version (int16) followed
 * by the generated struct. The coordinator relays them untouched; they are read only to show a
 * group's topics and partitions (lag, /api/v1/groups), and written to describe a pipeline's
 * group to Kafka tools.
 */
import type { TopicPartition } from '../log/types.js';
import { MAX_REQUEST_ENTRIES } from './api.js';
import { readConsumerProtocolAssignment, writeConsumerProtocolAssignment } from './messages/consumer-protocol-assignment.js';
import { readConsumerProtocolSubscription, writeConsumerProtocolSubscription } from './messages/consumer-protocol-subscription.js';
import { KafkaReader } from './protocol/reader.js';
import { KafkaWriter } from './protocol/writer.js';

export const CONSUMER_PROTOCOL_TYPE = 'consumer';
/** Newer versions only add fields at the end, so the highest version known reads them too. */
const MAX_VERSION = 3;
/**
 * Topics a subscription is read for at most: more than a gateway holds (its partitions are bounded
 * by file descriptors). The coordinator keeps each member's topics as strings for its life; 8 MB
 * of names, a million of them, took 241 MB to read and kept 61 MB. Such a member still joins, its
 * subscription relayed to the leader as sent, but is shown with no topics.
 */
export const MAX_SUBSCRIBED_TOPICS = 10_000;

function versioned<T>(bytes: Buffer, maxEntries: number, read: (r: KafkaReader, version: number) => T): T | undefined {
  try {
    const r = new KafkaReader(bytes, 0, maxEntries);
    return read(r, Math.min(r.int16(), MAX_VERSION));
  } catch {
    return undefined;
  }
}

/** The topics a subscription names; empty when the bytes are not a consumer subscription, or name more than MAX_SUBSCRIBED_TOPICS. */
export function subscribedTopics(metadata: Buffer): string[] {
  return versioned(metadata, MAX_SUBSCRIBED_TOPICS, (r, v) => readConsumerProtocolSubscription(r, v).topics) ?? [];
}

/** The partitions an assignment names; empty when the bytes are not a consumer assignment. */
export function assignedPartitions(assignment: Buffer): TopicPartition[] {
  const read = versioned(assignment, MAX_REQUEST_ENTRIES, (r, v) => readConsumerProtocolAssignment(r, v).assignedPartitions) ?? [];
  return read.flatMap(({ topic, partitions }) => partitions.map((partition) => ({ topic, partition })));
}

export function encodeSubscription(topics: readonly string[]): Buffer {
  const w = new KafkaWriter();
  w.int16(0);
  writeConsumerProtocolSubscription(w, 0, { topics: [...topics], userData: null });
  return Buffer.from(w.finish());
}

export function encodeAssignment(partitions: readonly TopicPartition[]): Buffer {
  const byTopic = new Map<string, number[]>();
  for (const { topic, partition } of partitions) byTopic.set(topic, [...(byTopic.get(topic) ?? []), partition]);
  const w = new KafkaWriter();
  w.int16(0);
  writeConsumerProtocolAssignment(w, 0, { assignedPartitions: [...byTopic].map(([topic, ps]) => ({ topic, partitions: ps })), userData: null });
  return Buffer.from(w.finish());
}
