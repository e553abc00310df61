import { ProtobufLogsSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kindOfRecord, signalOfRecord } from '../../src/sinks/signals.js';
import { makeLogs, makeSpans } from '../otlp/fixtures.js';
import { type Gateway, startGateway } from './harness.js';

describe('receiver.topics', () => {
  let gateway: Gateway;
  beforeAll(async () => {
    gateway = await startGateway({ topics: { traces: 'team_a.spans', events: 'team_a.events' } });
  });
  afterAll(() => gateway.close());

  const post = (path: string, body: Uint8Array) => fetch(gateway.url(path), { method: 'POST', body, headers: { 'content-type': 'application/x-protobuf' } });

  it('writes each kind of record to its configured topic, created at start', async () => {
    expect((await post('/v1/traces', ProtobufTraceSerializer.serializeRequest(makeSpans({ traces: 2, spansPerTrace: 2 }))!)).status).toBe(200);
    expect((await post('/v1/logs', ProtobufLogsSerializer.serializeRequest(makeLogs({ logs: 2, events: 1 }))!)).status).toBe(200);
    expect(await gateway.readTopic('team_a.spans')).toHaveLength(2);
    expect(await gateway.readTopic('otlp_spans')).toHaveLength(0);
    expect(await gateway.readTopic('team_a.events')).toHaveLength(1);
    expect(await gateway.readTopic('otlp_logs')).toHaveLength(1);
  });

  it('names the kind of record in a header, so consumers decode records and tell events apart whatever the topic is called', async () => {
    const [span] = await gateway.readTopic('team_a.spans');
    const [event] = await gateway.readTopic('team_a.events');
    const [log] = await gateway.readTopic('otlp_logs');
    expect(span.headers.map((h) => [h.key, h.value.toString()])).toEqual([
      ['content-type', 'application/x-protobuf'],
      ['otlp-signal', 'traces'],
    ]);
    expect(event.headers.map((h) => [h.key, h.value.toString()])).toContainEqual(['otlp-signal', 'events']);
    expect([kindOfRecord(span), kindOfRecord(event), kindOfRecord(log)]).toEqual(['traces', 'events', 'logs']);
    expect([signalOfRecord(span), signalOfRecord(event), signalOfRecord(log)]).toEqual(['traces', 'logs', 'logs']);
  });
});
