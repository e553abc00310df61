// Runs on: main thread.
import { NAME_PATTERN } from '../../config/schema.js';
import { ConfigError } from '../../errors.js';
import { MAX_PARTITIONS_PER_TOPIC, TOPIC_SETTING_KEYS, type TopicSettingKey, topicSettingProblem } from '../storage-limits.js';
import type { ClusterMetadata } from './cluster-metadata.js';

/** The config key under `log:` that a topic without a setting of its own takes. */
const LOG_DEFAULT_KEY: Record<TopicSettingKey, string> = {
  segmentBytes: 'log.segment_bytes',
  segmentMs: 'log.segment_ms',
  retentionBytes: 'log.retention_bytes',
  retentionMs: 'log.retention_ms',
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export const RESTORE =
  'restore the file from a backup, or delete it: the next start creates the configured topics again over their partition ' +
  'directories, records kept (create a topic made at run time again, with the same partitions, to get its records back)';

/**
 * The cluster metadata as read at start, checked whole: a bad file (edited by hand, or written by
 * an older version that saved a topic setting the storage then refused) fails the start naming
 * the file, the key and what to do, rather than as an error from deep inside a broker thread.
 */
export function checkMetadata(value: unknown, path: string): ClusterMetadata {
  const fail = (key: string, problem: string, remedy = RESTORE) =>
    new ConfigError(`the cluster metadata ${path} is not usable: ${key} ${problem}; ${remedy}`, { details: { file: path, key } });
  if (!isObject(value)) throw fail('(top level)', 'is not an object');
  if (value.version !== 1) throw fail('version', `is ${JSON.stringify(value.version)}, and this Tributary reads version 1`);
  if (typeof value.clusterId !== 'string' || value.clusterId === '') throw fail('clusterId', 'is not a non-empty string');
  if (!isObject(value.topics)) throw fail('topics', 'is not an object');
  if (value.deleting !== undefined) {
    if (!isObject(value.deleting)) throw fail('deleting', 'is not an object');
    for (const [name, partitions] of Object.entries(value.deleting)) {
      const ok = NAME_PATTERN.test(name) && Number.isSafeInteger(partitions) && (partitions as number) >= 1 && (partitions as number) <= MAX_PARTITIONS_PER_TOPIC;
      if (!ok) throw fail(`deleting.${name}`, `is not a topic name with its partition count (1 to ${MAX_PARTITIONS_PER_TOPIC})`);
    }
  }
  for (const [name, topic] of Object.entries(value.topics)) {
    const at = `topics.${name}`;
    if (!NAME_PATTERN.test(name)) throw fail(at, 'is not a valid topic name');
    if (!isObject(topic)) throw fail(at, 'is not an object');
    if (topic.id !== undefined && (typeof topic.id !== 'string' || !UUID.test(topic.id))) throw fail(`${at}.id`, 'is not a UUID');
    if (topic.replicationFactor !== 1) throw fail(`${at}.replicationFactor`, `is ${JSON.stringify(topic.replicationFactor)}; the embedded engine keeps 1`);
    if (!isObject(topic.settings)) throw fail(`${at}.settings`, 'is not an object');
    for (const [key, setting] of Object.entries(topic.settings)) {
      if (!(TOPIC_SETTING_KEYS as string[]).includes(key)) throw fail(`${at}.settings.${key}`, 'is not a topic setting', `remove the key, then start again`);
      const problem = topicSettingProblem(key as TopicSettingKey, setting);
      if (problem) {
        throw fail(
          `${at}.settings.${key}`,
          `is out of range (${problem})`,
          `set it within that range, or remove the key so that the topic takes ${LOG_DEFAULT_KEY[key as TopicSettingKey]} from the config, then start again`,
        );
      }
    }
    const partitions = topic.partitions;
    if (!Array.isArray(partitions) || partitions.length < 1 || partitions.length > MAX_PARTITIONS_PER_TOPIC) {
      throw fail(`${at}.partitions`, `is not a list of 1 to ${MAX_PARTITIONS_PER_TOPIC} partitions`);
    }
    partitions.forEach((p: unknown, i) => {
      const ok =
        isObject(p) &&
        p.partition === i &&
        isCount(p.leader) &&
        isCount(p.leaderEpoch) &&
        Array.isArray(p.replicas) &&
        p.replicas.every(isCount) &&
        Array.isArray(p.isr) &&
        p.isr.every(isCount);
      if (!ok) throw fail(`${at}.partitions[${i}]`, `is not { partition: ${i}, leader, replicas, isr, leaderEpoch } with non-negative integers`);
    });
  }
  return value as unknown as ClusterMetadata;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isCount(value: unknown): boolean {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}
