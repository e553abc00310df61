/**
 * Runs on: main thread.
 *
 * Topic settings under Kafka's config names, for CreateTopics and DescribeConfigs. Only what
 * the embedded log keeps per topic is understood; `cleanup.policy` may be given as `delete`,
 * which is all the log does.
 */
import { TributaryError } from '../errors.js';
import type { TopicSettings } from '../log/types.js';

const NAMES: Record<string, keyof TopicSettings> = {
  'retention.ms': 'retentionMs',
  'retention.bytes': 'retentionBytes',
  'segment.bytes': 'segmentBytes',
  'segment.ms': 'segmentMs',
};

/** Kafka topic configs as topic settings; INVALID_CONFIG names the first one not understood. */
export function settingsFromConfigs(configs: readonly { name: string; value: string | null }[]): TopicSettings {
  const settings: TopicSettings = {};
  for (const { name, value } of configs) {
    if (name === 'cleanup.policy' && value === 'delete') continue;
    const key = NAMES[name];
    const n = Number(value);
    if (!key) throw new TributaryError('INVALID_CONFIG', `topic config ${name} is not supported; supported: cleanup.policy=delete, ${Object.keys(NAMES).join(', ')}`);
    // Kafka's -1 for retention means unlimited, which is the absence of a limit here.
    if (value === null || !Number.isSafeInteger(n) || n < -1) throw new TributaryError('INVALID_CONFIG', `topic config ${name} must be an integer, not ${value}`);
    if (n >= 0) settings[key] = n;
  }
  return settings;
}

/**
 * A topic's settings under Kafka's config names, each with whether it is the topic's own or the
 * default: `cleanup.policy` is always `delete` (the log's only policy), retention the topic does
 * not limit is -1 (unlimited, as in Kafka), segment sizes and ages only where the topic sets them.
 */
export function configsFromSettings(settings: TopicSettings): { name: string; value: string; isDefault: boolean }[] {
  const configs = [{ name: 'cleanup.policy', value: 'delete', isDefault: true }];
  for (const [name, key] of Object.entries(NAMES)) {
    const value = settings[key];
    if (value !== undefined) configs.push({ name, value: String(value), isDefault: false });
    else if (key === 'retentionBytes' || key === 'retentionMs') configs.push({ name, value: '-1', isDefault: true });
  }
  return configs;
}
