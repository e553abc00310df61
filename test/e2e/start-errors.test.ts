import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePorts } from '../../bench/lib/gateway-process.js';
import { type GatewayProcess, startGatewayProcess, tributary } from './cli-process.js';

/**
 * `tributary start` opens the log while it loads the rest of the gateway; a start that fails after
 * that must still say why and exit (no broker thread may keep the process alive).
 */
describe('tributary start failing beside a running gateway', () => {
  let running: GatewayProcess;
  const dirs: string[] = [];

  beforeAll(async () => {
    running = await startGatewayProcess();
  }, 60_000);
  afterAll(async () => {
    await running?.stop();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  async function start(env: Record<string, string>) {
    const dataDir = mkdtempSync(join(tmpdir(), 'tributary-e2e-'));
    dirs.push(dataDir);
    const [receiver, admin, kafka] = await freePorts(3);
    return tributary(['start'], {
      TRIBUTARY_DATA_DIR: dataDir,
      TRIBUTARY_RECEIVER_ENDPOINT: `127.0.0.1:${receiver}`,
      TRIBUTARY_ADMIN_ENDPOINT: `127.0.0.1:${admin}`,
      TRIBUTARY_KAFKA_LISTENER: `127.0.0.1:${kafka}`,
      ...env,
    });
  }

  it('exits 2 naming log.data_dir when the data directory is in use', async () => {
    const result = await start({ TRIBUTARY_DATA_DIR: running.dataDir });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/log\.data_dir .* is in use/);
  });

  it('exits 2 naming log.data_dir when the directory exists but this user cannot write in it', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tributary-e2e-'));
    dirs.push(dataDir);
    chmodSync(dataDir, 0o755);
    mkdirSync(join(dataDir, 'meta'));
    chmodSync(join(dataDir, 'meta'), 0o555);
    // Root writes anywhere: run the gateway as nobody then, in a directory root owns.
    const asRoot = process.getuid?.() === 0;
    const [receiver, admin] = await freePorts(2);
    const result = await tributary(
      ['start'],
      { TRIBUTARY_DATA_DIR: dataDir, TRIBUTARY_RECEIVER_ENDPOINT: `127.0.0.1:${receiver}`, TRIBUTARY_ADMIN_ENDPOINT: `127.0.0.1:${admin}`, TRIBUTARY_KAFKA_LISTENER: '' },
      asRoot ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'] : [],
    );
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toMatch(new RegExp(`tributary start: log\\.data_dir ${dataDir}: this process \\(user \\d+\\) cannot write in it \\(EACCES creating ${dataDir}/meta/lock\\.sock\\)`));
  });

  it('exits 2 naming TRIBUTARY_LOG_LEVEL or TRIBUTARY_LOG_FORMAT when they hold a value the logger does not know', async () => {
    const level = await start({ TRIBUTARY_LOG_LEVEL: 'verbose' });
    expect(level.code).toBe(2);
    expect(level.stderr).toContain('TRIBUTARY_LOG_LEVEL: expected one of debug, info, warn, error, silent, got "verbose"');
    const format = await start({ TRIBUTARY_LOG_FORMAT: 'jsonl' });
    expect(format.code).toBe(2);
    expect(format.stderr).toContain('TRIBUTARY_LOG_FORMAT: expected json or text, got "jsonl"');
  });

  it('exits 2 naming the refused keys of a config file, before it opens anything', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tributary-e2e-'));
    dirs.push(dir);
    const config = join(dir, 'tributary.yaml');
    writeFileSync(
      config,
      [
        'receiver: { endpoint: "127.0.0.1:5318", auth: { tokens: [] } }',
        'admin: { endpoint: "127.0.0.1:5318" }',
        `log: { data_dir: ${join(dir, 'data')} }`,
        'groups: { session_timeout: 3s, heartbeat_interval: 3s }',
        'pipelines:',
        '  - { group: debug, topics: [otlp_spans], sink: { type: debug }, dead_letter: { topic: otlp_spans } }',
        '',
      ].join('\n'),
    );
    const result = await tributary(['start', '--config', config]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`tributary start: invalid ${config}:`);
    expect(result.stderr).toContain('receiver.auth.tokens: expected at least one token');
    // The keys checked against each other are reported once every key is valid on its own.
    writeFileSync(config, readFileSync(config, 'utf8').replace('auth: { tokens: [] }', 'auth: { tokens: [{ token: a-token-of-some-length-0123 }] }'));
    const second = await tributary(['start', '--config', config]);
    expect(second.code).toBe(2);
    expect(second.stderr).toMatch(/admin\.endpoint: 127\.0\.0\.1:5318 is also receiver\.endpoint/);
    expect(second.stderr).toMatch(/groups\.heartbeat_interval: 3000 ms is not below groups\.session_timeout/);
    expect(second.stderr).toMatch(/pipelines\[0\]\.dead_letter\.topic: "otlp_spans" is one of this pipeline's own topics/);
    expect(existsSync(join(dir, 'data'))).toBe(false);
  });

  it("exits 2 naming a sink's refused setting, the log opened and closed again", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tributary-e2e-'));
    dirs.push(dir);
    const config = join(dir, 'tributary.yaml');
    writeFileSync(
      config,
      [
        'receiver: { endpoint: "127.0.0.1:0" }',
        'admin: { endpoint: "127.0.0.1:0" }',
        'kafka: { listener: "" }',
        `log: { data_dir: ${join(dir, 'data')}, brokers: 1 }`,
        'pipelines:',
        '  - { group: backend, topics: [otlp_spans], sink: { type: otlphttp } }',
        '',
      ].join('\n'),
    );
    const result = await tributary(['start', '--config', config]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/tributary start: pipelines\[0\]\.sink\.endpoint: /);
    // The log was opened while the gateway loaded, and is closed again before the exit.
    expect(result.stderr).toMatch(/embedded log stopped/);
  });

  it('exits 2 naming the endpoint when the admin or receiver port is taken', async () => {
    const admin = await start({ TRIBUTARY_ADMIN_ENDPOINT: new URL(running.adminUrl).host });
    expect(admin.code).toBe(2);
    expect(admin.stderr).toMatch(/admin\.endpoint: cannot listen on .*EADDRINUSE/);
    const receiver = await start({ TRIBUTARY_RECEIVER_ENDPOINT: new URL(running.receiverUrl).host });
    expect(receiver.code).toBe(2);
    expect(receiver.stderr).toMatch(/receiver\.endpoint: cannot listen on .*EADDRINUSE/);
  });

  it('exits 2 naming kafka.listener when the Kafka port is taken', async () => {
    const kafka = await start({ TRIBUTARY_KAFKA_LISTENER: running.kafkaListener });
    expect(kafka.code).toBe(2);
    expect(kafka.stderr).toMatch(/kafka\.listener: cannot listen on .*EADDRINUSE/);
  });
});
