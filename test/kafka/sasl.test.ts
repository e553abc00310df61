import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tributary } from '../e2e/cli-process.js';
import { clientAvailable, type KafkaGateway, PYTHON, run, startKafkaGateway } from './helpers.js';
import { header, RawClient } from './raw-client.js';

const TOKEN = 'kafka-token-0123456789abcdef';
const NO_TENANT_TOKEN = 'kafka-token-without-tenant-0123';
const SCRIPT = join(import.meta.dirname, 'clients', 'produce_consume.py');
const hasKcat = clientAvailable('kcat', ['-V'], 'kcat');
const hasKafkaPython = clientAvailable(PYTHON, ['-c', 'import kafka'], 'python3-kafka');

const sasl = (password: string) => ['-X', 'security.protocol=SASL_PLAINTEXT', '-X', 'sasl.mechanisms=PLAIN', '-X', 'sasl.username=ops', '-X', `sasl.password=${password}`];

describe('a Kafka listener with kafka.auth tokens', () => {
  let g: KafkaGateway;
  beforeAll(async () => {
    g = await startKafkaGateway({ kafka: { auth: { tokens: [{ token: TOKEN, tenant: 'team-a' }, { token: NO_TENANT_TOKEN }] } } });
  }, 60_000);
  afterAll(() => g?.stop());

  it.runIf(hasKcat)('serves kcat authenticated with SASL/PLAIN and a token as the password (SaslHandshake v1, SaslAuthenticate)', async () => {
    const listed = await run('kcat', ['-b', g.bootstrap, '-L', '-J', ...sasl(TOKEN)]);
    expect(listed.code, listed.stderr).toBe(0);
    expect(JSON.parse(listed.stdout.toString()).topics.map((t: { topic: string }) => t.topic)).toContain('otlp_spans');
    const produced = await run('kcat', ['-b', g.bootstrap, '-P', '-t', 'events_in', '-p', '0', '-z', 'gzip', '-H', 'tenant=spoofed', ...sasl(TOKEN)], {
      input: 'authenticated\n',
    });
    expect(produced.code, produced.stderr).toBe(0);
    // The token's tenant applies to what it produces, as on the OTLP receiver; a header the client sent is replaced.
    const tail = await tributary(['tail', 'events_in', '--partition', '0', '--from-beginning', '--once', '--json', '--admin', g.adminUrl]);
    expect(tail.code, tail.stderr).toBe(0);
    const record = JSON.parse(tail.stdout.trim().split('\n').at(-1)!);
    expect(Buffer.from(record.value, 'base64').toString()).toBe('authenticated');
    expect(record.headers.filter((h: { key: string }) => h.key === 'tenant')).toHaveLength(1);
    expect(record.headers).toContainEqual({ key: 'tenant', value: 'team-a' });
  });

  it.runIf(hasKcat)('lets no token without a tenant claim one: a tenant header it sends is dropped, plain or compressed, its other headers kept', async () => {
    for (const codec of ['none', 'gzip']) {
      const produced = await run('kcat', ['-b', g.bootstrap, '-P', '-t', 'events_in', '-p', '1', '-z', codec, '-H', 'tenant=team-a', '-H', 'trace=kept', ...sasl(NO_TENANT_TOKEN)], {
        input: `claimed-${codec}\n`,
      });
      expect(produced.code, produced.stderr).toBe(0);
    }
    const tail = await tributary(['tail', 'events_in', '--partition', '1', '--from-beginning', '--once', '--json', '--admin', g.adminUrl]);
    expect(tail.code, tail.stderr).toBe(0);
    const records = tail.stdout.trim().split('\n').map((line) => JSON.parse(line));
    expect(records.map((r) => [Buffer.from(r.value, 'base64').toString(), r.headers])).toEqual([
      ['claimed-none', [{ key: 'trace', value: 'kept' }]],
      ['claimed-gzip', [{ key: 'trace', value: 'kept' }]],
    ]);
  });

  it.runIf(hasKcat)('keeps a null header value null and an empty one empty in the batches it re-encodes for a tenant', async () => {
    for (const token of [TOKEN, NO_TENANT_TOKEN]) {
      const produced = await run('kcat', ['-b', g.bootstrap, '-P', '-t', 'otlp_events', '-p', '0', '-H', 'tenant=team-a', '-H', 'marker', '-H', 'empty=', ...sasl(token)], {
        input: `re-encoded\n`,
      });
      expect(produced.code, produced.stderr).toBe(0);
    }
    // kcat, a consumer over Kafka, prints a null header value as NULL.
    const consumed = await run('kcat', ['-b', g.bootstrap, '-C', '-t', 'otlp_events', '-p', '0', '-o', 'beginning', '-e', '-f', '%h\n', ...sasl(TOKEN)]);
    expect(consumed.code, consumed.stderr).toBe(0);
    expect(consumed.stdout.toString().trim().split('\n')).toEqual(['marker=NULL,empty=,tenant=team-a', 'marker=NULL,empty=']);
  });

  it.runIf(hasKcat)('refuses a wrong token and a client without SASL', async () => {
    const wrong = await run('kcat', ['-b', g.bootstrap, '-L', '-m', '3', ...sasl('not-the-token-at-all')]);
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toMatch(/authentication failed/i);
    const plain = await run('kcat', ['-b', g.bootstrap, '-L', '-m', '3']);
    expect(plain.code).not.toBe(0);
    expect(plain.stdout.toString()).not.toMatch(/otlp_spans/);
  });

  it('answers a wrong token with SASL_AUTHENTICATION_FAILED and then closes the connection, as Kafka does, so tokens cannot be guessed one after another on it', async () => {
    const SASL_HANDSHAKE = 17;
    const SASL_AUTHENTICATE = 36;
    const errorCodeOf = (frame: Buffer | null) => frame?.readInt16BE(4); // after the correlation id
    const client = await RawClient.open(g.bootstrap);
    try {
      client.send((w) => {
        header(SASL_HANDSHAKE, 1, 1)(w);
        w.string('PLAIN', false);
      });
      expect(errorCodeOf(await client.next())).toBe(0);
      for (const [i, guess] of ['guess-one', 'guess-two'].entries()) {
        client.send((w) => {
          header(SASL_AUTHENTICATE, 1, 2 + i)(w);
          w.bytes(Buffer.from(`\u0000ops\u0000${guess}`), false);
        });
      }
      // The first guess is answered; the connection then closes, the second never answered.
      expect(errorCodeOf(await client.next())).toBe(58);
      expect(await client.next()).toBeNull();
      expect(client.closed).toBe(true);
    } finally {
      client.close();
    }
  });

  it('answers a SaslAuthenticate without a SaslHandshake first with ILLEGAL_SASL_STATE and closes the connection, even with a good token', async () => {
    const SASL_AUTHENTICATE = 36;
    const client = await RawClient.open(g.bootstrap);
    try {
      client.send((w) => {
        header(SASL_AUTHENTICATE, 1, 1)(w);
        w.bytes(Buffer.from(`\u0000ops\u0000${TOKEN}`), false);
      });
      expect((await client.next())?.readInt16BE(4)).toBe(34);
      expect(await client.next()).toBeNull();
    } finally {
      client.close();
    }
  });

  it.runIf(hasKafkaPython)('serves kafka-python authenticated with SASL/PLAIN', async () => {
    const listed = await run(PYTHON, [SCRIPT, 'kafka-python', g.bootstrap, 'metadata'], { env: { KAFKA_SASL_PASSWORD: TOKEN } });
    expect(listed.code, listed.stderr).toBe(0);
    expect(Object.keys(JSON.parse(listed.stdout.toString()).topics)).toContain('otlp_spans');
  });
});
