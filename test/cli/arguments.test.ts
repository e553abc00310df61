import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tributary } from '../e2e/cli-process.js';

/** `tributary` as a user types it, in its own process: what it refuses, and how. */
describe('tributary command-line arguments', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-cli-args-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses an argument a command does not take, naming it (exit 2): `start FILE` does not start on the default config', async () => {
    const config = join(dir, 'prod.yaml');
    writeFileSync(config, 'receiver: { endpoint: 127.0.0.1:0 }\nadmin: { endpoint: 127.0.0.1:0 }\nkafka: { listener: "" }\n');
    // Were the file ignored, the default config would start on these (free) ports and this data directory.
    const start = await tributary(['start', config], {
      TRIBUTARY_DATA_DIR: join(dir, 'data'),
      TRIBUTARY_RECEIVER_ENDPOINT: '127.0.0.1:0',
      TRIBUTARY_ADMIN_ENDPOINT: '127.0.0.1:0',
      TRIBUTARY_KAFKA_LISTENER: '',
    });
    expect(start.code).toBe(2);
    expect(start.stderr).toContain(`tributary start: unexpected argument "${config}"`);
    expect(start.stderr).toContain('--config FILE');
    // Nothing listens on port 1: were the extra argument ignored, these would fail to connect (exit 3).
    for (const [args, extra] of [
      [['send', '50', '--endpoint', 'http://127.0.0.1:1'], '50'],
      [['tail', 'otlp_spans', 'otlp_logs', '--admin', 'http://127.0.0.1:1'], 'otlp_logs'],
      [['topics', 'describe', 'otlp_spans', 'otlp_logs', '--admin', 'http://127.0.0.1:1'], 'otlp_logs'],
    ] as const) {
      const r = await tributary([...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toContain(`unexpected argument "${extra}"`);
    }
  }, 90_000);

  it('refuses an admin or receiver URL that is not http(s), naming the flag and its variable (exit 2), rather than "Invalid URL" or "unreachable"', async () => {
    const flag = await tributary(['topics', 'list', '--admin', 'not a url']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain('tributary topics: --admin (or TRIBUTARY_ADMIN_URL) expects an http:// or https:// URL such as http://127.0.0.1:4320, got "not a url"');
    // host:port without a scheme parses as a URL of scheme "localhost:".
    const env = await tributary(['groups', 'list'], { TRIBUTARY_ADMIN_URL: 'localhost:4320' });
    expect(env.code).toBe(2);
    expect(env.stderr).toContain('got "localhost:4320"');
    const send = await tributary(['send', '--endpoint', 'ftp://127.0.0.1:4318']);
    expect(send.code).toBe(2);
    expect(send.stderr).toContain('tributary send: --endpoint (or TRIBUTARY_OTLP_ENDPOINT) expects an http:// or https:// URL');
  }, 60_000);

  it('refuses a URL holding a user or password, without printing it (exit 2): the gateway takes its token from --token', async () => {
    // fetch refuses such a URL: the admin commands said the gateway was unreachable, printing the password.
    const admin = await tributary(['topics', 'list', '--admin', 'http://ops:pa55word@127.0.0.1:1']);
    const send = await tributary(['send', '--requests', '1'], { TRIBUTARY_OTLP_ENDPOINT: 'http://s3cr3t-token@127.0.0.1:1' });
    expect([admin.code, send.code]).toEqual([2, 2]);
    expect(admin.stderr).toContain('tributary topics: --admin (or TRIBUTARY_ADMIN_URL) must not hold a user name or password (http://ops:<redacted>@127.0.0.1:1/): give the token with --token T');
    expect(send.stderr).toContain('tributary send: --endpoint (or TRIBUTARY_OTLP_ENDPOINT) must not hold a user name or password (http://<redacted>@127.0.0.1:1/): give the token with --token T');
    expect(`${admin.stderr}${send.stderr}`).not.toMatch(/pa55word|s3cr3t-token/);
  }, 60_000);

  it('send --every refuses 0 and a wait longer than a timer holds, which would send without a pause (exit 2)', async () => {
    // Nothing listens on port 1: accepted, the first round would fail to connect (exit 3).
    for (const every of ['0', '0s', '30d']) {
      const r = await tributary(['send', '--every', every, '--endpoint', 'http://127.0.0.1:1']);
      expect(r.code, every).toBe(2);
      expect(r.stderr, every).toContain(`tributary send: --every expects a duration from 1ms to 2147483647ms (about 24 days), such as 5s, got "${every}"`);
    }
  }, 60_000);

  it('tail refuses a --max or --partition that is not a whole number, naming the flag (exit 2)', async () => {
    // Nothing listens on port 1: accepted, the value would lead to a failed connection (exit 3).
    for (const [flag, value, expected] of [
      ['--max', '1.5', '--max expects a whole number from 1, got "1.5"'],
      ['--max', '0', '--max expects a whole number from 1, got "0"'],
      ['--partition', '', '--partition expects a partition number, got ""'],
      ['--partition', '1.5', '--partition expects a partition number, got "1.5"'],
    ]) {
      const r = await tributary(['tail', 'otlp_spans', `${flag}=${value}`, '--admin', 'http://127.0.0.1:1']);
      expect(r.code, `${flag}=${value}`).toBe(2);
      expect(r.stderr, `${flag}=${value}`).toContain(`tributary tail: ${expected}`);
    }
  }, 60_000);

  it('`help COMMAND` prints that command\'s usage, as `COMMAND --help` does', async () => {
    for (const command of ['start', 'topics', 'tail', 'send']) {
      const help = await tributary(['help', command]);
      expect(help.code, command).toBe(0);
      expect(help.stdout, command).toBe((await tributary([command, '--help'])).stdout);
      expect(help.stdout, command).toMatch(new RegExp(`^Usage:(\\n  | )tributary ${command} `));
    }
    const unknown = await tributary(['help', 'frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown command "frobnicate"');
  }, 90_000);
});
