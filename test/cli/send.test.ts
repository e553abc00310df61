import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { createGateway, type Gateway } from '../../src/gateway.js';
import { silentLogger } from '../../src/telemetry/logger.js';
import { tributary } from '../e2e/cli-process.js';

const TOKEN = 'send-test-token-0123456789';

/** `tributary send`, in its own process, to a receiver that wants a token. */
describe('tributary send to a receiver with receiver.auth', () => {
  let dir: string;
  let gateway: Gateway;
  let endpoint: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tributary-cli-send-'));
    const config = parseConfig(
      `receiver: { endpoint: 127.0.0.1:0, auth: { tokens: [{ token: ${TOKEN} }] } }
admin: { endpoint: 127.0.0.1:0 }
kafka: { listener: "" }
log: { data_dir: ${join(dir, 'log')}, brokers: 1, fsync: never }
`,
      'test',
    );
    gateway = createGateway(config, { logger: silentLogger });
    await gateway.start();
    endpoint = `http://127.0.0.1:${gateway.receiverAddress().port}`;
  });
  afterAll(async () => {
    await gateway?.shutdown();
    rmSync(dir, { recursive: true, force: true });
  });

  it('says the receiver refused it (401, exit 1) and how to give a token, not that no gateway runs', async () => {
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
