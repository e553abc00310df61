import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG_FILE, loadConfig, parseConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/errors.js';

function configErrorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('config', () => {
  it('loads the shipped default with the documented contract keys', () => {
    const config = loadConfig(DEFAULT_CONFIG_FILE, {});
    expect(config.receiver.endpoint).toBe('127.0.0.1:4318');
    expect(config.admin.endpoint).toBe('127.0.0.1:4320');
    expect(config.log).toMatchObject({ backend: 'embedded', data_dir: './data', brokers: 3, fsync: 'interval' });
    expect(Object.keys(config.topics)).toEqual(['otlp_spans', 'otlp_metrics', 'otlp_logs', 'otlp_events']);
    expect(config.topics.otlp_spans.partitions).toBe(6);
    expect(config.pipelines[0]).toMatchObject({ group: 'debug', sink: { type: 'debug' }, members: 1 });
  });

  it('always has the four signal topics, keeping what the config sets', () => {
    const config = parseConfig('topics:\n  otlp_spans: { partitions: 2 }\n  audit: { partitions: 1 }\n');
    expect(config.topics).toMatchObject({
      otlp_spans: { partitions: 2 },
      otlp_metrics: { partitions: 6 },
      otlp_logs: { partitions: 6 },
      otlp_events: { partitions: 6 },
      audit: { partitions: 1 },
    });
  });

  it('substitutes ${env:NAME} and ${env:NAME:-fallback}', () => {
    const config = parseConfig('log:\n  data_dir: ${env:DIR}\n  fsync: ${env:SYNC:-always}\n', 'test', { DIR: '/var/tmp/t' });
    expect(config.log.data_dir).toBe('/var/tmp/t');
    expect(config.log.fsync).toBe('always');
  });

  it('names an unset environment variable', () => {
    const err = configErrorOf(() => parseConfig('log:\n  data_dir: ${env:NOPE_NOT_SET}\n', 'test', {}));
    expect(err.message).toContain('NOPE_NOT_SET');
  });

  it('takes an environment variable\'s value as it is, whatever YAML characters it holds, and never shows it in an error', () => {
    const yaml = 'admin:\n  auth:\n    tokens:\n      - token: ${env:TOKEN}\n      - { token: "${env:OTHER}" }\nlog:\n  data_dir: /srv/${env:DIR}/data\nkafka:\n  listener: ""\n';
    for (const token of ['abc: def', 'a #b', '*alias', '"quoted', "it's", '[1,2]', '{ a: 1 }', '- item']) {
      const config = parseConfig(yaml, 'test', { TOKEN: token.replace(/\s/g, '_'), OTHER: `o${token.replace(/\s/g, '~')}`, DIR: token });
      expect(config.admin.auth?.tokens.map((t) => t.token)).toEqual([token.replace(/\s/g, '_'), `o${token.replace(/\s/g, '~')}`]);
      expect(config.log.data_dir).toBe(`/srv/${token}/data`);
    }
    // A value the key refuses is named by its key, and the secret is not echoed.
    const err = configErrorOf(() => parseConfig('admin:\n  auth:\n    tokens: [{ token: "${env:TOKEN}" }]\n', 'test', { TOKEN: 'has: a secret space' }));
    expect(err.message).toContain('admin.auth.tokens[0].token');
    expect(err.message).not.toContain('a secret space');
  });

  it('reads a whole-value variable as a number or boolean where the key takes one, and as text when quoted', () => {
    const config = parseConfig('log:\n  brokers: ${env:BROKERS}\n  data_dir: "${env:NUM}"\nkafka:\n  listener: ${env:LISTENER:-}\n', 'test', { BROKERS: '2', NUM: '1234' });
    expect(config.log.brokers).toBe(2);
    expect(config.log.data_dir).toBe('1234');
    expect(config.kafka.listener).toBe('');
  });

  it('names the key of an unset environment variable, and ignores references in comments', () => {
    const err = configErrorOf(() => parseConfig('receiver:\n  endpoint: 127.0.0.1:0\nlog:\n  data_dir: ${env:NOPE_NOT_SET}\n', 'test.yaml', {}));
    expect(err.message).toBe('invalid test.yaml:\n  log.data_dir: environment variable NOPE_NOT_SET is not set (referenced as ${env:NOPE_NOT_SET}); set it, or give a fallback: ${env:NOPE_NOT_SET:-value}');
    const config = parseConfig('log:\n  data_dir: /tmp/x   # or ${env:DATA_DIR}, once set\n# receiver: { endpoint: ${env:UNSET_TOO} }\n', 'test', {});
    expect(config.log.data_dir).toBe('/tmp/x');
  });

  it('refuses a bad value with the key path and what was expected', () => {
    const err = configErrorOf(() => parseConfig('log:\n  fsync: sometimes\nreceiver:\n  endpoint: nowhere\n'));
    expect(err.message).toMatch(/log\.fsync: .*"always"/);
    expect(err.message).toMatch(/receiver\.endpoint: expected host:port/);
  });

  it('gives the receiver connection limits by default, and refuses a connection timeout of 0 naming its key', () => {
    expect(parseConfig('').receiver).toMatchObject({ header_timeout: 10_000, idle_timeout: 30_000, max_connections: 1024, shutdown_timeout: 10_000 });
    const err = configErrorOf(() => parseConfig('receiver:\n  header_timeout: 0\n  idle_timeout: 0s\n  max_connections: 0\n'));
    expect(err.message).toMatch(/receiver\.header_timeout: expected a duration above 0/);
    expect(err.message).toMatch(/receiver\.idle_timeout: expected a duration above 0/);
    expect(err.message).toMatch(/receiver\.max_connections: /);
  });

  it('refuses unknown keys so typos do not pass silently', () => {
    const err = configErrorOf(() => parseConfig('log:\n  fsynk: always\n'));
    expect(err.message).toContain('log: unknown key "fsynk"');
  });

  it('refuses topic names that could reach outside the data directory', () => {
    const err = configErrorOf(() => parseConfig('topics:\n  "../etc": { partitions: 1 }\n'));
    expect(err.message).toMatch(/topics/);
  });

  it('accepts durations and sizes with units', () => {
    const config = parseConfig('log:\n  segment_bytes: 64MiB\n  retention_ms: 2d\n  index_interval_bytes: 4kB\n  max_record_bytes: 2MB\n');
    expect(config.log.segment_bytes).toBe(64 * 1024 * 1024);
    expect(config.log.retention_ms).toBe(2 * 86_400_000);
    // kB, MB and GB are powers of 1000, as docs/configuration.md says; KiB, MiB and GiB of 1024.
    expect(config.log.index_interval_bytes).toBe(4000);
    expect(config.log.max_record_bytes).toBe(2_000_000);
  });

  it("keeps a retention or segment age, or kafka.message_timestamp_after_max_ms, of Long.MAX_VALUE, copied from a Kafka config, as 2^53 - 1 (285,000 years), as CreateTopics does; one past it is refused", () => {
    const longMax = '9223372036854775807';
    const config = parseConfig(
      `log: { retention_ms: ${longMax}, segment_ms: "${longMax}" }\nkafka: { message_timestamp_after_max_ms: ${longMax} }\ntopics:\n  history: { partitions: 1, retention_ms: ${longMax}, retention_bytes: ${longMax}, segment_ms: ${longMax} }\n`,
    );
    const max = Number.MAX_SAFE_INTEGER;
    expect(config.log).toMatchObject({ retention_ms: max, segment_ms: max });
    // Kafka 3's default for message.timestamp.after.max.ms: no record is too far ahead.
    expect(config.kafka.message_timestamp_after_max_ms).toBe(max);
    expect(config.topics.history).toMatchObject({ retention_ms: max, retention_bytes: max, segment_ms: max });
    // Past a long (2^64 - 1 here) is no Kafka value: refused, naming the key.
    expect(configErrorOf(() => parseConfig('topics:\n  history: { partitions: 1, retention_ms: 18446744073709551615 }\n')).message).toContain('topics.history.retention_ms');
  });

  it('reports invalid YAML and unreadable files', () => {
    expect(configErrorOf(() => parseConfig('log: [unclosed')).message).toMatch(/not valid YAML/);
    const dir = mkdtempSync(join(tmpdir(), 'trib-cfg-'));
    writeFileSync(join(dir, 'ok.yaml'), 'log: { brokers: 1 }\n');
    expect(loadConfig(join(dir, 'ok.yaml')).log.brokers).toBe(1);
    expect(configErrorOf(() => loadConfig(join(dir, 'missing.yaml'))).message).toMatch(/cannot read config file/);
  });

  it('refuses a config file with no settings (empty, or only comments): it would start on every default, ./data included', () => {
    const dir = mkdtempSync(join(tmpdir(), 'trib-cfg-'));
    for (const [file, text] of [['empty.yaml', ''], ['comments.yaml', '# receiver:\n#   endpoint: 0.0.0.0:4318\n\n']]) {
      writeFileSync(join(dir, file), text);
      expect(configErrorOf(() => loadConfig(join(dir, file))).message).toBe(
        `${join(dir, file)} holds no settings (it is empty or only comments); a gateway started on it would take every default (log.data_dir ./data, ports 4318, 4320, 9092). Write the settings, or give the file you meant`,
      );
    }
  });
});
