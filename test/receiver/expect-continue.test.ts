import { request } from 'node:http';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeSpans } from '../otlp/fixtures.js';
import { type Gateway, startGateway } from './harness.js';

const TOKEN = 'a-secret-token-of-some-length';

interface Outcome {
  status: number;
  /** Whether the server said 100 Continue, so the client sent its body. */
  continued: boolean;
}

/**
 * A request sent as curl sends a large upload: headers with `Expect: 100-continue`, the body only
 * once the server says 100 Continue (or once the server answered, then never).
 */
function postExpectingContinue(gateway: Gateway, body: Uint8Array, headers: Record<string, string | number>): Promise<Outcome> {
  const url = new URL(gateway.url('/v1/traces'));
  return new Promise((resolve, reject) => {
    let continued = false;
    const req = request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { expect: '100-continue', ...headers } });
    req.on('continue', () => {
      continued = true;
      req.end(body);
    });
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode!, continued }));
      req.destroy();
    });
    req.on('error', (err) => (continued ? reject(err) : undefined));
    req.flushHeaders();
  });
}

describe('Expect: 100-continue', () => {
  let gateway: Gateway;
  const body = ProtobufTraceSerializer.serializeRequest(makeSpans({ traces: 2, spansPerTrace: 2 }))!;
  beforeAll(async () => {
    gateway = await startGateway({ max_request_bytes: 64 * 1024, auth: { tokens: [{ token: TOKEN }] } });
  });
  afterAll(() => gateway.close());
  const good = { 'content-type': 'application/x-protobuf', authorization: `Bearer ${TOKEN}` };

  it('a good request gets 100 Continue, sends its body and is stored', async () => {
    expect(await postExpectingContinue(gateway, body, { ...good, 'content-length': body.length })).toEqual({ status: 200, continued: true });
  });

  it('a body declared over max_request_bytes is refused with 413 before it is sent', async () => {
    expect(await postExpectingContinue(gateway, body, { ...good, 'content-length': 99_999_999_999 })).toEqual({ status: 413, continued: false });
  });

  it('a request without a valid token is refused with 401 before its body is sent', async () => {
    expect(await postExpectingContinue(gateway, body, { 'content-type': 'application/x-protobuf', 'content-length': body.length })).toEqual({ status: 401, continued: false });
  });

  it('an unsupported content type is refused with 415 before the body is sent', async () => {
    expect(await postExpectingContinue(gateway, body, { ...good, 'content-type': 'text/plain', 'content-length': body.length })).toEqual({ status: 415, continued: false });
  });

  it('still serves after refusals', async () => {
    expect(await postExpectingContinue(gateway, body, { ...good, 'content-length': body.length })).toEqual({ status: 200, continued: true });
  });
});
