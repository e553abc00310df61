import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { createGateway } from '../../src/gateway.js';
import { silentLogger } from '../../src/telemetry/logger.js';
import { tributary } from '../e2e/cli-process.js';

const dir = mkdtempSync(join(tmpdir(), 'tributary-tls-files-'));
const selfSigned = (name: string) => {
  const [cert, key] = [join(dir, `${name}-cert.pem`), join(dir, `${name}-key.pem`)];
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1'], { stdio: 'ignore' });
  return { cert, key };
};
const good = selfSigned('good');
const other = selfSigned('other');
const garbage = join(dir, 'garbage.pem');
writeFileSync(garbage, 'not a PEM file\n');
const aDirectory = join(dir, 'a-directory');
mkdirSync(aDirectory);

const configWith = (dataDir: string, tls: { cert_file: string; key_file: string }, kafka = '') =>
  configSchema.parse({
    receiver: { endpoint: '127.0.0.1:0', workers: 1, tls },
    admin: { endpoint: '127.0.0.1:0' },
    kafka: { listener: kafka },
    log: { data_dir: dataDir, brokers: 1, fsync: 'never' },
  });

describe('receiver.tls files that cannot serve', () => {
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const cases: [string, { cert_file: string; key_file: string }, RegExp][] = [
    ['a missing certificate', { cert_file: join(dir, 'missing.pem'), key_file: good.key }, /^receiver\.tls\.cert_file: cannot read .*missing\.pem: ENOENT/],
    ['a missing key', { cert_file: good.cert, key_file: join(dir, 'missing.pem') }, /^receiver\.tls\.key_file: cannot read .*missing\.pem: ENOENT/],
    ['a directory for the certificate', { cert_file: aDirectory, key_file: good.key }, /^receiver\.tls\.cert_file: cannot read .*a-directory: EISDIR/],
    ['a certificate that is not PEM', { cert_file: garbage, key_file: good.key }, /^receiver\.tls\.cert_file: .*garbage\.pem is not a PEM certificate/],
    ['a key that is not PEM', { cert_file: good.cert, key_file: garbage }, /^receiver\.tls\.key_file: .*garbage\.pem is not a PEM private key/],
    ['a key of another certificate', { cert_file: good.cert, key_file: other.key }, /^receiver\.tls\.key_file: .*other-key\.pem is not the key of .*good-cert\.pem/],
  ];

  for (const [what, tls, message] of cases) {
    it(`refuses ${what} at start, naming the key, and the next start with good files comes up`, async () => {
      const dataDir = mkdtempSync(join(dir, 'data-'));
      // With the Kafka listener on: it serves the same files, and the start stops at the first listener that loads them.
      const gateway = createGateway(configWith(dataDir, tls, '127.0.0.1:0'), { logger: silentLogger });
      const failure = await gateway.start().then(
        () => undefined,
        (err: Error & { code?: string }) => err,
      );
      await gateway.shutdown();
      expect(failure?.code).toBe('CONFIG_INVALID');
      expect(failure?.message).toMatch(message);
      const again = createGateway(configWith(dataDir, { cert_file: good.cert, key_file: good.key }, '127.0.0.1:0'), { logger: silentLogger });
      await again.start();
      await again.shutdown();
    });
  }

  it('makes `tributary start` exit 2 with the key, as any bad config does', async () => {
    const config = join(dir, 'bad-tls.yaml');
    writeFileSync(
      config,
      `receiver: { endpoint: 127.0.0.1:0, tls: { cert_file: ${good.cert}, key_file: ${other.key} } }\nadmin: { endpoint: 127.0.0.1:0 }\nkafka: { listener: "" }\nlog: { data_dir: ${join(dir, 'cli-data')}, brokers: 1 }\n`,
    );
    const result = await tributary(['start', '--config', config]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/receiver\.tls\.key_file: .*other-key\.pem is not the key of/);
  }, 60_000);

  it('refuses a key given as PEM text instead of a path, without printing the key', async () => {
    // A key kept in an environment variable (as container secrets often are) put straight into key_file.
    const config = join(dir, 'pem-text.yaml');
    writeFileSync(
      config,
      `receiver: { endpoint: 127.0.0.1:0, tls: { cert_file: ${good.cert}, key_file: "\${env:TLS_KEY}" } }\nadmin: { endpoint: 127.0.0.1:0 }\nkafka: { listener: "" }\nlog: { data_dir: ${join(dir, 'pem-data')}, brokers: 1 }\n`,
    );
    const key = readFileSync(good.key, 'utf8');
    const result = await tributary(['start', '--config', config], { TLS_KEY: key });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/receiver\.tls\.key_file: expected the path of a PEM file, not the PEM text itself/);
    const keyLine = key.split('\n')[1];
    expect(`${result.stdout}${result.stderr}`).not.toContain(keyLine);
  }, 60_000);
});
