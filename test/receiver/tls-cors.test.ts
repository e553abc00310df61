import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { afterAll, describe, expect, it } from 'vitest';
import { makeSpans } from '../otlp/fixtures.js';
import { startGateway } from './harness.js';

const dir = mkdtempSync(join(tmpdir(), 'tributary-tls-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('HTTPS and CORS', () => {
  it('serves OTLP over HTTPS with the configured certificate', async () => {
    const cert = join(dir, 'cert.pem');
    const key = join(dir, 'key.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    const gateway = await startGateway({ tls: { cert_file: cert, key_file: key } });
    try {
      const body = ProtobufTraceSerializer.serializeRequest(makeSpans({ traces: 1, spansPerTrace: 2 }))!;
      const status = await new Promise<number>((resolve, reject) => {
        const req = request(
          { host: '127.0.0.1', port: gateway.receiver.address().port, path: '/v1/traces', method: 'POST', ca: readFileSync(cert), headers: { 'content-type': 'application/x-protobuf' } },
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
