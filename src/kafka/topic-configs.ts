/**
 * Runs on: main thread.
 *
 * Topic settings under Kafka's config names, for CreateTopics and DescribeConfigs. Only what
 * the embedded log keeps per topic is understood; `cleanup.policy` may be given as `delete`,
 * which is all the log does.
 */
import { TributaryError } from '../errors.js';
import { keptAsSafeLong, topicSettingProblem } from '../log/storage-limits.js';
import type { TopicSettings } from '../log/types.js';

const NAMES: Record<string, keyof TopicSettings> = {
  'retention.ms': 'retentionMs',
  'retention.bytes': 'retentionBytes',
  'segment.bytes': 'segmentBytes',
  'segment.ms': 'segmentMs',
};

const LONG_MAX = 2n ** 63n - 1n;

/**
 * A config's value as a number. Kafka's are longs: one past 2^53 - 1 up to Long.MAX_VALUE is read
 * as 2^53 - 1 (keptAsSafeLong). Past Long.MAX_VALUE it is no long: told here, where the text is
 * exact, since 2^63 reads as the same number as Long.MAX_VALUE; the log refuses it.
 */
function configNumber(value: string | null): number {
  if (value !== null && /^\d{19,}$/.test(value) && BigInt(value) > LONG_MAX) return Number(value);
  return keptAsSafeLong(Number(value)) as number;
}

/** Kafka topic configs as topic settings; INVALID_CONFIG names the first one not understood. */
export function settingsFromConfigs(configs: readonly { name: string; value: string | null }[]): TopicSettings {
  const settings: TopicSettings = {};
  for (const { name, value } of configs) {
    if (name === 'cleanup.policy' && value === 'delete') continue;
    const key = NAMES[name];
    const n = configNumber(value);
    if (!key) throw new TributaryError('INVALID_CONFIG', `topic config ${name} is not supported; supported: cleanup.policy=delete, ${Object.keys(NAMES).join(', ')}`);
    // A retention of -1 is Kafka's "unlimited", which the log keeps as it is.
    const problem = value === null ? `${key} must be an integer, got null` : topicSettingProblem(key, n);
    if (problem) throw new TributaryError('INVALID_CONFIG', `topic config ${name}=${value} is refused: ${problem}`);
    settings[key] = n;
  }
  return settings;
}

/** Kafka's config sources: a topic's own setting, and the default. */
const DYNAMIC_TOPIC_CONFIG = 1;
const DEFAULT_CONFIG = 5;

/**
 * A topic's configs as CreateTopics (v5+) and DescribeConfigs answer them: read-only (configs are
 * changed through the Tributary config or admin API), each with its source.
 */
export function describedConfigs(settings: TopicSettings, defaults: TopicSettings) {
  return configsFromSettings(settings, defaults).map((c) => ({
    name: c.name,
    value: c.value,
    readOnly: true,
    configSource: c.isDefault ? DEFAULT_CONFIG : DYNAMIC_TOPIC_CONFIG,
    // DescribeConfigs v0 says whether it is the default instead of its source.
    isDefault: c.isDefault,
    isSensitive: false,
  }));
}

/**
 * A topic's settings under Kafka's config names, each with whether it is the topic's own or the
 * default: `cleanup.policy` is always `delete` (the log's only policy); what the topic does not set
 * is what the log applies to it, `defaults` (the config's `log.*`), a retention with no limit -1.
 */
function configsFromSettings(settings: TopicSettings, defaults: TopicSettings): { name: string; value: string; isDefault: boolean }[] {
  const configs = [{ name: 'cleanup.policy', value: 'delete', isDefault: true }];
  for (const [name, key] of Object.entries(NAMES)) {
    const own = settings[key];
    configs.push({ name, value: String(own ?? defaults[key] ?? -1), isDefault: own === undefined });
  }
  return configs;
}
