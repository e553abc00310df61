import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { afterAll, describe, expect, it } from 'vitest';
import { makeSpans } from '../otlp/fixtures.js';
import { startGateway } from './harness.js';
import { openConnection } from './raw-connection.js';

const dir = mkdtempSync(join(tmpdir(), 'tributary-tls-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A self-signed certificate for 127.0.0.1, made once. */
function certificate(): { cert: string; key: string } {
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  if (!existsSync(cert)) {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  }
  return { cert, key };
}

describe('HTTPS and CORS', () => {
  it('serves OTLP over HTTPS with the configured certificate', async () => {
    const { cert, key } = certificate();
    const gateway = await startGateway({ tls: { cert_file: cert, key_file: key } });
    try {
      const body = ProtobufTraceSerializer.serializeRequest(makeSpans({ traces: 1, spansPerTrace: 2 }))!;
      const status = await new Promise<number>((resolve, reject) => {
        const req = request(
          { host: '127.0.0.1', port: gateway.receiverPort, path: '/v1/traces', method: 'POST', ca: readFileSync(cert), headers: { 'content-type': 'application/x-protobuf' } },
          (res) => {
            res.resume();
            resolve(res.statusCode!);
          },
        );
        req.on('error', reject).end(body);
      });
      expect(status).toBe(200);
      expect(await gateway.readTopic('otlp_spans')).toHaveLength(1);
    } finally {
      await gateway.close();
    }
  });

  it('closes a connection that never finishes its TLS handshake, or sends no request after it, at header_timeout', async () => {
    const { cert, key } = certificate();
    const gateway = await startGateway({ tls: { cert_file: cert, key_file: key }, header_timeout: 300 });
    try {
      const port = gateway.receiverPort;
      const noHandshake = await openConnection(port);
      const noRequest = tlsConnect({ host: '127.0.0.1', port, ca: readFileSync(cert) });
      let received = '';
      noRequest.on('data', (chunk: Buffer) => {
        received += chunk.toString();
      });
      const noRequestClosed = new Promise<void>((resolve) => noRequest.on('close', () => resolve()).on('error', () => {}));
      const noHandshakeMs = await noHandshake.closed;
      expect(noHandshakeMs).toBeGreaterThanOrEqual(290);
      expect(noHandshakeMs).toBeLessThan(2_000);
      await noRequestClosed;
      expect(received).toMatch(/^HTTP\/1\.1 408 /);
    } finally {
      await gateway.close();
    }
  });

  it('answers browser preflights for allowed origins only', async () => {
    const gateway = await startGateway({ cors: { allowed_origins: ['https://app.example'] } });
    try {
      const preflight = (origin: string) =>
        fetch(gateway.url('/v1/logs'), { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' } });
      const allowed = await preflight('https://app.example');
      expect(allowed.status).toBe(204);
      expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example');
      expect((await preflight('https://evil.example')).headers.get('access-control-allow-origin')).toBeNull();
    } finally {
      await gateway.close();
    }
  });
});
