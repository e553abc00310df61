import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { createGateway, type Gateway } from '../../src/gateway.js';
import { silentLogger } from '../../src/telemetry/logger.js';
import { tributary } from '../e2e/cli-process.js';

const TOKEN = 'send-test-token-0123456789';
const ADMIN_TOKEN = 'admin-test-token-0123456789';

/** The CLI, in its own process, against a gateway whose receiver and admin API want tokens. */
describe('tributary against a gateway with receiver.auth and admin.auth', () => {
  let dir: string;
  let gateway: Gateway;
  let endpoint: string;
  let admin: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tributary-cli-send-'));
    const config = parseConfig(
      `receiver: { endpoint: 127.0.0.1:0, auth: { tokens: [{ token: ${TOKEN} }] } }
admin: { endpoint: 127.0.0.1:0, auth: { tokens: [{ token: ${ADMIN_TOKEN} }] } }
kafka: { listener: "" }
log: { data_dir: ${join(dir, 'log')}, brokers: 1, fsync: never }
`,
      'test',
    );
    gateway = createGateway(config, { logger: silentLogger });
    await gateway.start();
    endpoint = `http://127.0.0.1:${gateway.receiverAddress().port}`;
    admin = `http://127.0.0.1:${gateway.adminAddress().port}`;
  });
  afterAll(async () => {
    await gateway?.shutdown();
    rmSync(dir, { recursive: true, force: true });
  });

  it('topics, groups, pipelines, tail: a missing or wrong token says how to give one (exit 1)', async () => {
    for (const args of [['topics', 'list'], ['groups', 'list', '--token', 'not-the-token'], ['pipelines', 'list'], ['tail', 'otlp_spans', '--once']]) {
      const refused = await tributary([...args, '--admin', admin]);
      expect(refused.code, args.join(' ')).toBe(1);
      expect(refused.stderr, args.join(' ')).toContain(
        `tributary ${args[0]}: a valid bearer token is required (UNAUTHENTICATED); give a token of its admin.auth with --token T (env TRIBUTARY_ADMIN_TOKEN)`,
      );
    }
    const listed = await tributary(['topics', 'list', '--json', '--admin', admin], { TRIBUTARY_ADMIN_TOKEN: ADMIN_TOKEN });
    expect(listed.code, listed.stderr).toBe(0);
    expect(JSON.parse(listed.stdout).topics.map((t: { name: string }) => t.name)).toContain('otlp_spans');
  }, 60_000);

  it('send: says the receiver refused it (401, exit 1) and how to give a token, not that no gateway runs', async () => {
    for (const token of [[], ['--token', 'not-the-token']]) {
      const refused = await tributary(['send', '--endpoint', endpoint, '--requests', '1', ...token]);
      expect(refused.code, refused.stderr).toBe(1);
      expect(refused.stderr).toContain(`tributary send: ${endpoint} refused the telemetry with HTTP 401`);
      expect(refused.stderr).toContain('--token T (env TRIBUTARY_TOKEN)');
      expect(refused.stderr).not.toContain('is `tributary start` running?');
    }
    const sent = await tributary(['send', '--endpoint', endpoint, '--requests', '1', '--json'], { TRIBUTARY_TOKEN: TOKEN });
    expect(sent.code, sent.stderr).toBe(0);
    expect(JSON.parse(sent.stdout)).toMatchObject({ traces: 1, spans: 3 });
  }, 60_000);
});
