import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/errors.js';

const TOKEN = 'a-token-of-some-length-0123';

/**
 * Configs that parse key by key but would open a door, loop or fail later: each is refused at
 * load, and the error names the key to change.
 */
describe('config that must be refused', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-refused-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  let n = 0;

  /** Writes `yaml` to a config file, loads it, and returns the error's lines. */
  function refusal(yaml: string): string[] {
    const file = join(dir, `config-${n++}.yaml`);
    writeFileSync(file, yaml);
    try {
      loadConfig(file, {});
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const e = err as ConfigError;
      expect(e.message).toContain(`invalid ${file}:`);
      return e.details!.issues as string[];
    }
    throw new Error(`accepted:\n${yaml}`);
  }
  function accepts(yaml: string) {
    const file = join(dir, `config-${n++}.yaml`);
    writeFileSync(file, yaml);
    return loadConfig(file, {});
  }

  it('refuses an auth block with no tokens, so a typo never turns authentication off', () => {
    expect(refusal('receiver:\n  auth:\n    tokens: []\n')).toEqual([
      'receiver.auth.tokens: expected at least one token; remove the auth block to turn authentication off',
    ]);
    expect(refusal('receiver:\n  auth: {}\n')).toEqual(['receiver.auth.tokens: required: at least one { token }']);
    // A misspelt key leaves no tokens too: refused for the key it names.
    expect(refusal(`receiver:\n  auth:\n    token: [{ token: ${TOKEN} }]\n`)).toEqual([
      'receiver.auth.tokens: required: at least one { token }',
      'receiver.auth: unknown key "token"',
    ]);
    expect(refusal('admin:\n  auth:\n    tokens: []\nkafka: { listener: "" }\n')).toEqual([
      'admin.auth.tokens: expected at least one token; remove the auth block to turn authentication off',
    ]);
    expect(refusal('admin:\n  auth:\n')).toEqual(['admin.auth: expected { tokens: [{ token, tenant? }] }']);
  });

  it('refuses a token listed twice and a token with whitespace, in receiver.auth and admin.auth', () => {
    const twice = `    tokens:\n      - { token: ${TOKEN}, tenant: a }\n      - { token: other-token-0123456789 }\n      - { token: ${TOKEN}, tenant: b }\n`;
    expect(refusal(`receiver:\n  auth:\n${twice}`)).toEqual(['receiver.auth.tokens[2].token: the same token as tokens[0]']);
    expect(refusal(`admin:\n  auth:\n${twice.replaceAll(/, tenant: \w/g, '')}kafka: { listener: "" }\n`)).toEqual(['admin.auth.tokens[2].token: the same token as tokens[0]']);

    const spaced = `    tokens:\n      - { token: "${TOKEN} " }\n      - { token: "tab\\tinside-0123456789" }\n      - { token: "non-ascii-tøken-0123456" }\n`;
    expect(refusal(`receiver:\n  auth:\n${spaced}`)).toEqual([
      'receiver.auth.tokens[0].token: a token must not contain whitespace: no client could send it',
      'receiver.auth.tokens[1].token: a token must not contain whitespace: no client could send it',
      'receiver.auth.tokens[2].token: expected printable ASCII characters: no client could send others in a header',
    ]);
    expect(refusal(`admin:\n  auth:\n    tokens: [{ token: "${TOKEN} x" }]\nkafka: { listener: "" }\n`)).toEqual([
      'admin.auth.tokens[0].token: a token must not contain whitespace: no client could send it',
    ]);
    // The same token on both endpoints is the operator's choice.
    const both = accepts(`receiver:\n  auth: { tokens: [{ token: ${TOKEN} }] }\nadmin:\n  auth: { tokens: [{ token: ${TOKEN} }] }\nkafka: { listener: "" }\n`);
    expect(both.admin.auth?.tokens).toEqual([{ token: TOKEN }]);
  });

  it('refuses a dead-letter topic that the pipeline reads, that the receiver writes, or that loops back', () => {
    const pipeline = (group: string, topics: string, deadLetter = '') =>
      `  - group: ${group}\n    topics: [${topics}]\n    sink: { type: debug }\n${deadLetter ? `    dead_letter: { topic: ${deadLetter} }\n` : ''}`;
    expect(refusal(`pipelines:\n${pipeline('export', 'otlp_spans, otlp_logs', 'otlp_logs')}`)).toEqual([
      `pipelines[0].dead_letter.topic: "otlp_logs" is one of this pipeline's own topics: rejected records would be read and rejected again, forever`,
    ]);
    expect(refusal(`pipelines:\n${pipeline('debug', 'otlp_spans')}${pipeline('replay', 'replay.dlq, otlp_logs')}`)).toEqual([
      `pipelines[1].dead_letter.topic: "replay.dlq" (the default, <group>.dlq) is one of this pipeline's own topics: rejected records would be read and rejected again, forever`,
    ]);
    expect(refusal(`pipelines:\n${pipeline('export', 'otlp_spans', 'otlp_metrics')}`)).toEqual([
      'pipelines[0].dead_letter.topic: "otlp_metrics" is receiver.topics.metrics: dead letters need a topic of their own',
    ]);
    expect(refusal(`pipelines:\n${pipeline('a', 'otlp_spans', 'a-rejects')}${pipeline('b', 'a-rejects', 'b-rejects')}${pipeline('c', 'b-rejects', 'otlp_spans')}`)).toEqual([
      'pipelines[2].dead_letter.topic: "otlp_spans" is receiver.topics.traces: dead letters need a topic of their own',
      'pipelines[0].dead_letter.topic: dead letters go round in a loop (pipelines[0] → pipelines[1] → pipelines[2] → pipelines[0]): a record every sink rejects would never stop',
    ]);
    expect(refusal(`pipelines:\n${pipeline('a', 'audit', 'a-rejects')}${pipeline('b', 'a-rejects', 'b-rejects')}${pipeline('c', 'b-rejects', 'audit')}`)).toEqual([
      'pipelines[0].dead_letter.topic: dead letters go round in a loop (pipelines[0] → pipelines[1] → pipelines[2] → pipelines[0]): a record every sink rejects would never stop',
    ]);
    // Reading another pipeline's dead letters is how they are replayed: allowed while it does not loop.
    const replay = accepts(`pipelines:\n${pipeline('export', 'otlp_spans')}${pipeline('replay', 'export.dlq')}`);
    expect(replay.pipelines.map((p) => p.group)).toEqual(['export', 'replay']);
    // Dead letters off: nothing is written anywhere, so nothing can loop.
    accepts('pipelines:\n  - { group: x, topics: [x.dlq], sink: { type: debug }, dead_letter: { enabled: false } }\n');
  });

  it('refuses a pipeline that lists a topic twice (its partitions would be assigned twice)', () => {
    expect(refusal('pipelines:\n  - { group: twice, topics: [otlp_spans, otlp_logs, otlp_spans], sink: { type: debug } }\n')).toEqual([
      'pipelines[0].topics: otlp_spans is listed twice',
    ]);
  });

  it('refuses a heartbeat interval that is not below the session timeout', () => {
    expect(refusal('groups:\n  session_timeout: 10s\n  heartbeat_interval: 10s\n')).toEqual([
      'groups.heartbeat_interval: 10000 ms is not below groups.session_timeout (10000 ms): members would be removed between heartbeats',
    ]);
    expect(refusal('groups:\n  session_timeout: 2s\n')).toEqual([
      'groups.heartbeat_interval: 3000 ms is not below groups.session_timeout (2000 ms): members would be removed between heartbeats',
    ]);
    expect(refusal('groups:\n  heartbeat_interval: 0\n')).toEqual(['groups.heartbeat_interval: expected more than 0 ms']);
    expect(accepts('groups:\n  session_timeout: 10s\n  heartbeat_interval: 9s\n').groups.heartbeat_interval).toBe(9_000);
  });

  it('refuses the receiver and the admin API on one endpoint, and ports past 65535', () => {
    expect(refusal('receiver: { endpoint: "127.0.0.1:5000" }\nadmin: { endpoint: "127.0.0.1:5000" }\n')).toEqual([
      'admin.endpoint: 127.0.0.1:5000 is also receiver.endpoint (127.0.0.1:5000): each needs a port of its own',
    ]);
    // All interfaces include loopback: the second bind would fail.
    expect(refusal('receiver: { endpoint: "0.0.0.0:5000" }\nadmin: { endpoint: "127.0.0.1:5000" }\n')).toEqual([
      'admin.endpoint: 127.0.0.1:5000 is also receiver.endpoint (0.0.0.0:5000): each needs a port of its own',
    ]);
    expect(refusal('receiver: { endpoint: "127.0.0.1:70000" }\n')).toEqual(['receiver.endpoint: expected a port from 0 to 65535']);
    // Port 0 asks the system for a free port each time: two of them never clash.
    accepts('receiver: { endpoint: "127.0.0.1:0" }\nadmin: { endpoint: "127.0.0.1:0" }\n');
    accepts('receiver: { endpoint: "10.0.0.1:5000" }\nadmin: { endpoint: "127.0.0.1:5000" }\n');
  });

  it('refuses a Kafka partial-frame budget below the largest frame, which could never be read', () => {
    expect(refusal('kafka: { max_request_bytes: 200MiB, max_partial_request_bytes: 100MiB }\n')).toEqual([
      'kafka.max_partial_request_bytes: must be at least kafka.max_request_bytes (209715200 bytes): a frame of that size could never be read',
    ]);
    expect(refusal('kafka: { max_request_bytes: 200MiB, max_partial_request_bytes: 209715199 }\n')).toEqual([
      'kafka.max_partial_request_bytes: must be at least kafka.max_request_bytes (209715200 bytes): a frame of that size could never be read',
    ]);
    expect(accepts('kafka: { max_request_bytes: 200MiB, max_partial_request_bytes: 200MiB }\n').kafka.max_partial_request_bytes).toBe(200 * 1024 ** 2);
  });

  it('refuses a tenant on an admin token, which would separate nothing', () => {
    expect(refusal('admin: { auth: { tokens: [{ token: an-admin-token-of-some-length, tenant: team-a }] } }\nkafka: { listener: "" }\n')).toEqual([
      'admin.auth.tokens[0].tenant: admin tokens have no tenant: every admin token may read and change everything (docs/admin-api.md)',
    ]);
    expect(accepts('receiver: { auth: { tokens: [{ token: a-receiver-token-of-some-length, tenant: team-a }] } }\n').receiver.auth?.tokens[0]?.tenant).toBe('team-a');
  });

  it('refuses admin.auth beside a Kafka listener without kafka.auth, which would read and delete what admin.auth guards', () => {
    const admin = `admin: { auth: { tokens: [{ token: ${TOKEN} }] } }\n`;
    expect(refusal(`${admin}kafka: { listener: 127.0.0.1:9092 }\n`)).toEqual([
      'kafka.auth: required while admin.auth is set and kafka.listener (127.0.0.1:9092) is on: without it any client that reaches the listener reads every topic and deletes topics and groups with no token; set kafka.auth.tokens, or turn the listener off with kafka.listener: ""',
    ]);
    // The default listener counts as on.
    expect(refusal(admin)[0]).toMatch(/^kafka\.auth: required while admin\.auth is set and kafka\.listener \(127\.0\.0\.1:9092\) is on/);
    expect(accepts(`${admin}kafka: { listener: "" }\n`).kafka.listener).toBe('');
    expect(accepts(`${admin}kafka: { auth: { tokens: [{ token: a-kafka-token-0123456789 }] } }\n`).kafka.auth?.tokens).toHaveLength(1);
    // Over Apache Kafka the listener is not opened, and the cluster has its own authentication.
    expect(accepts(`${admin}log: { backend: kafka, kafka: { brokers: ["127.0.0.1:9093"] } }\n`).log.backend).toBe('kafka');
  });

  it('refuses an advertised Kafka address without a port clients could connect to', () => {
    expect(refusal('kafka: { advertised_listener: "kafka.example.com:0" }\n')).toEqual(['kafka.advertised_listener: expected a port from 1 to 65535: clients connect to it']);
    expect(refusal('kafka: { advertised_listener: kafka.example.com }\n')[0]).toMatch(/^kafka\.advertised_listener: /);
    expect(accepts('kafka: { advertised_listener: "kafka.example.com:19092" }\n').kafka.advertised_listener).toBe('kafka.example.com:19092');
  });

  it('refuses two pipelines in one consumer group, which would split its partitions between two sinks', () => {
    expect(refusal('pipelines:\n  - { group: g, topics: [otlp_spans], sink: { type: debug } }\n  - { group: g, topics: [otlp_logs], sink: { type: debug } }\n')).toEqual([
      'pipelines[1].group: "g" is also the group of pipelines[0]',
    ]);
  });

  it('refuses a timer duration past what Node can wait (it would fire at once), naming each key', () => {
    const tooLong = '30d';
    const lines = refusal(
      [
        `receiver: { request_timeout: ${tooLong}, header_timeout: ${tooLong}, idle_timeout: ${tooLong}, shutdown_timeout: ${tooLong} }`,
        `kafka: { idle_timeout: ${tooLong} }`,
        `groups: { session_timeout: ${tooLong}, heartbeat_interval: ${tooLong}, rebalance_timeout: ${tooLong} }`,
        'pipelines:',
        `  - { group: g, topics: [otlp_spans], sink: { type: debug }, batch: { max_wait: ${tooLong} }, retry: { initial_interval: ${tooLong}, max_interval: ${tooLong} } }`,
        '',
      ].join('\n'),
    );
    for (const key of [
      'receiver.request_timeout',
      'receiver.header_timeout',
      'receiver.idle_timeout',
      'receiver.shutdown_timeout',
      'kafka.idle_timeout',
      'groups.session_timeout',
      'groups.heartbeat_interval',
      'groups.rebalance_timeout',
      'pipelines[0].batch.max_wait',
      'pipelines[0].retry.initial_interval',
      'pipelines[0].retry.max_interval',
    ]) {
      expect(lines, key).toContain(`${key}: expected at most 2147483647 ms (about 24 days)`);
    }
    // The longest wait a timer takes, and retrying for ever, are fine.
    accepts('groups: { session_timeout: 2147483647 }\npipelines:\n  - { group: g, topics: [otlp_spans], sink: { type: debug }, retry: { max_elapsed_time: 0 } }\n');
  });

  it('refuses a retention check so frequent that every broker thread would spend itself on it (0 ran it every millisecond)', () => {
    for (const interval of ['0', '50ms']) {
      expect(refusal(`log: { retention_check_interval: ${interval} }\n`)).toEqual([
        'log.retention_check_interval: expected at least 100 ms, such as "1m": each check goes over every partition on every broker thread',
      ]);
    }
    expect(accepts('log: { retention_check_interval: 100ms }\n').log.retention_check_interval).toBe(100);
  });

  it('refuses retry waits of 0, with which a failing export was retried at once, over and over, a warning each time', () => {
    for (const key of ['initial_interval', 'max_interval']) {
      expect(refusal(`pipelines:\n  - { group: g, topics: [otlp_spans], sink: { type: debug }, retry: { ${key}: 0 } }\n`)).toEqual([
        `pipelines[0].retry.${key}: expected a duration above 0, such as "500ms": 0 retries a failing export at once, over and over`,
      ]);
    }
    expect(accepts('pipelines:\n  - { group: g, topics: [otlp_spans], sink: { type: debug }, retry: { initial_interval: 1ms, max_interval: 1ms } }\n').pipelines[0].retry).toMatchObject({
      initial_interval: 1,
      max_interval: 1,
    });
  });

  it('refuses an fsync interval so short that every broker thread would wake each millisecond (0 did), pointing at fsync: always', () => {
    for (const interval of ['0', '5ms']) {
      expect(refusal(`log: { fsync_interval: ${interval} }\n`)).toEqual([
        'log.fsync_interval: expected at least 10 ms, such as "1s": for a sync as often as possible, use fsync: always (one fsync per write, shared by concurrent writers)',
      ]);
    }
    expect(accepts('log: { fsync_interval: 10ms }\n').log.fsync_interval).toBe(10);
  });

  it('refuses a batch that could never fill (max_bytes 0 spins its sink worker) or could hold without bound', () => {
    expect(refusal('pipelines:\n  - { group: g, topics: [otlp_spans], sink: { type: debug }, batch: { max_bytes: 0 } }\n')).toEqual([
      'pipelines[0].batch.max_bytes: expected at least 1 byte',
    ]);
    expect(refusal('pipelines:\n  - { group: g, topics: [otlp_spans], sink: { type: debug }, batch: { max_bytes: 1TiB, max_records: 1000000000 } }\n')).toEqual([
      'pipelines[0].batch.max_records: expected at most 1000000 records',
      'pipelines[0].batch.max_bytes: expected at most 268435456 bytes (256 MiB): a batch is held whole in memory',
    ]);
    accepts('pipelines:\n  - { group: g, topics: [otlp_spans], sink: { type: debug }, batch: { max_bytes: 256MiB, max_records: 1000000 } }\n');
  });
});
