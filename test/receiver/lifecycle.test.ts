import { request } from 'node:http';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { describe, expect, it } from 'vitest';
import { makeSpans } from '../otlp/fixtures.js';
import { startGateway } from './harness.js';

const body = () => ProtobufTraceSerializer.serializeRequest(makeSpans({ traces: 2, spansPerTrace: 2 }))!;

describe('receiver lifecycle', () => {
  it('finishes a request in flight on shutdown, then stops accepting; what it answered 200 is in the log after a restart, which serves again', async () => {
    const gateway = await startGateway();
    try {
      const port = gateway.receiverPort;
      const sent = body();
      const inFlight = request({ host: '127.0.0.1', port, path: '/v1/traces', method: 'POST', headers: { 'content-type': 'application/x-protobuf', 'content-length': sent.length } });
      const answered = new Promise<{ status: number; connection: unknown }>((resolve, reject) => {
        inFlight.on('response', (res) => resolve({ status: res.statusCode!, connection: res.headers.connection })).on('error', reject);
      });
      inFlight.write(sent.subarray(0, 5));
      // Its handler has started once the gauge counts its bytes.
      while (!(await gateway.telemetry.metricsText()).includes(`tributary_receiver_inflight_bytes ${sent.length}`)) await new Promise(setImmediate);
      const stopped = gateway.gateway.shutdown();
      inFlight.end(sent.subarray(5));
      // Stored, and told to close its keep-alive connection, so the shutdown need not wait for it.
      expect(await answered).toEqual({ status: 200, connection: 'close' });
      await stopped;
      await expect(fetch(`http://127.0.0.1:${port}/v1/traces`, { method: 'POST', body: sent })).rejects.toThrow();

      await gateway.restart();
      expect(await gateway.readTopic('otlp_spans')).toHaveLength(2);
      const again = await fetch(gateway.url('/v1/traces'), { method: 'POST', body: body(), headers: { 'content-type': 'application/x-protobuf' } });
      expect(again.status).toBe(200);
    } finally {
      await gateway.close();
    }
  });
});
