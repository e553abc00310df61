import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientAvailable, type KafkaGateway, run, startKafkaGateway } from './helpers.js';

const hasKcat = clientAvailable('kcat', ['-V'], 'kcat');
const hasOpenssl = clientAvailable('openssl', ['version'], 'openssl');

describe.runIf(hasKcat && hasOpenssl)('a Kafka listener with the receiver certificate (receiver.tls)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-kafka-tls-'));
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  let g: KafkaGateway;
  beforeAll(async () => {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    g = await startKafkaGateway({ receiver: { tls: { cert_file: cert, key_file: key } } });
  }, 60_000);
  afterAll(async () => {
    await g?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves kcat over TLS, verified against the certificate, and refuses plain TCP', async () => {
    const tls = ['-X', 'security.protocol=SSL', '-X', `ssl.ca.location=${cert}`];
    const produced = await run('kcat', ['-b', g.bootstrap, '-P', '-t', 'events_in', '-p', '0', ...tls], { input: 'over-tls\n' });
    expect(produced.code, produced.stderr).toBe(0);
    const consumed = await run('kcat', ['-b', g.bootstrap, '-C', '-t', 'events_in', '-p', '0', '-o', 'beginning', '-e', '-q', ...tls]);
    expect(consumed.stdout.toString().trim()).toBe('over-tls');
    const plain = await run('kcat', ['-b', g.bootstrap, '-L', '-m', '3']);
    expect(plain.code).not.toBe(0);
  });
});
