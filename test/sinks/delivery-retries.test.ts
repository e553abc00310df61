
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Gateway } from '../../src/gateway.js';
import { useDataDirs } from '../log/helpers.js';
import { makeSpans } from '../otlp/fixtures.js';
import { type ConfiguredGateway, eventually, pipelineMetric, sendSpans, spanIdsOf, startFromConfigFile, startReceiver, type TestReceiver } from './helpers.js';

/** A gateway from a config file, as `tributary start --config` builds it, with one otlphttp pipeline `out`. */
function startGateway(dir: string, endpoint: string, pipelineKeys: string, logKeys = ''): Promise<ConfiguredGateway> {
  return startFromConfigFile(
    dir,
    join(dir, 'data'),
    `topics: { otlp_spans: { partitions: 1 } }
groups: { session_timeout: 3s, heartbeat_interval: 100ms, rebalance_timeout: 2s }
pipelines:
  - group: out
    topics: [otlp_spans]
    sink: { type: otlphttp, endpoint: "${endpoint}" }
${pipelineKeys}
`,
    logKeys,
  );
}

describe('delivery retries', () => {
  const dataDir = useDataDirs();
  const gateways: Gateway[] = [];
  const receivers: TestReceiver[] = [];
  afterEach(async () => {
    for (const r of receivers.splice(0)) await r.close();
    for (const g of gateways.splice(0)) await g.shutdown();
  });
  const receiver = async () => {
    const r = await startReceiver();
    receivers.push(r);
    return r;
  };

  it('waits out a Retry-After longer than a timer can hold instead of retrying at once', async () => {
    const sink = await receiver();
    let attempts = 0;
    sink.respond = () => {
      attempts++;
      return { status: 429, headers: { 'retry-after': '99999999' } };
    };
    // max_elapsed_time 0: retried for ever, so the wait is the destination's to choose.
    const { gateway, admin, receiver: otlp } = await startGateway(dataDir(), sink.url, '    retry: { initial_interval: 10ms, max_interval: 20ms, max_elapsed_time: 0 }');
    gateways.push(gateway);
    await sendSpans(otlp, makeSpans({ service: 'cart', traces: 1, spansPerTrace: 1 }));
    await eventually('the first attempt', () => attempts > 0);
    await new Promise((r) => setTimeout(r, 1000));
    expect(attempts).toBe(1);
    expect(await pipelineMetric(admin, 'out', 'tributary_sink_records_total', ',outcome="dead_lettered"')).toBe(0);
  });

  it('dead-letters at once a batch whose Retry-After is past max_elapsed_time, saying so', async () => {
    const sink = await receiver();
    sink.respond = () => ({ status: 503, headers: { 'retry-after': '3600' } });
    const { gateway, admin, receiver: otlp } = await startGateway(dataDir(), sink.url, '    retry: { max_elapsed_time: 1m }');
    gateways.push(gateway);
    await sendSpans(otlp, makeSpans({ service: 'cart', traces: 1, spansPerTrace: 1 }));
    await eventually('dead-lettered', async () => (await pipelineMetric(admin, 'out', 'tributary_sink_records_total', ',outcome="dead_lettered"')) === 1);
    const { records } = (await (await fetch(`${admin}/api/v1/topics/out.dlq/records?partition=0&offset=0&limit=10`)).json()) as {
      records: { headers: { key: string; value: string }[] }[];
    };
    const message = records[0]?.headers.find((h) => h.key === 'dlq.error.message')?.value;
    expect(message).toMatch(/Retry-After of 3600000 ms is past retry\.max_elapsed_time \(60000 ms\)/);
    expect(message).toMatch(/answered 503/);
  });

  it('at shutdown during retries, a later batch delivered meanwhile does not commit past the one given up: both arrive after the restart', async () => {
    const dir = dataDir();
    const sink = await receiver();
    const seen = new Set<string>();
    let requests = 0;
    sink.respond = (req) => {
      requests++;
      // The first batch fails and waits for a retry; every later export is accepted.
      if (requests === 1) return { status: 503 };
      for (const id of spanIdsOf(req.body)) seen.add(id);
      return { status: 200 };
    };
    const keys = '    batch: { max_records: 1, max_wait: 0 }\n    retry: { initial_interval: 30s, max_interval: 30s }';
    const first = await startGateway(dir, sink.url, keys);
    const spans = makeSpans({ service: 'cart', traces: 2, spansPerTrace: 1 });
    // Two requests, one trace each: two records in the one partition, two batches of one.
    await sendSpans(first.receiver, spans.slice(0, 1));
    await eventually('the first batch failed', () => requests === 1);
    await sendSpans(first.receiver, spans.slice(1));
    // The second batch is polled while the first waits for its retry.
    await new Promise((r) => setTimeout(r, 500));
    await first.gateway.shutdown();

    const second = await startGateway(dir, sink.url, keys);
    gateways.push(second.gateway);
    await eventually('every span delivered', () => seen.size === spans.length);
    expect([...seen].sort()).toEqual(spans.map((s) => s.spanContext().spanId).sort());
  });

  it('dead-letters records that fill log.max_record_bytes, whose error headers do not fit beside them: the pipeline moves on', async () => {
    const sink = await receiver();
    sink.respond = (req) => (req.path === '/v1/traces' ? { status: 400, body: 'refused' } : { status: 200 });
    const { gateway, admin, receiver: otlp } = await startGateway(dataDir(), sink.url, '    retry: { initial_interval: 10ms, max_interval: 50ms }', ', max_record_bytes: 2KiB');
    gateways.push(gateway);
    // Two records of about 1.9 KiB each: together, or either one with the dead-letter headers, over the 2 KiB limit.
    for (let i = 0; i < 2; i++) {
      const spans = makeSpans({ service: 'big', traces: 1, spansPerTrace: 1 });
      spans[0]!.attributes.padding = 'x'.repeat(1650);
      await sendSpans(otlp, spans);
    }
    await eventually('both records dead-lettered', async () => (await pipelineMetric(admin, 'out', 'tributary_sink_records_total', ',outcome="dead_lettered"')) === 2);
    const { records } = (await (await fetch(`${admin}/api/v1/topics/out.dlq/records?partition=0&offset=0&limit=10`)).json()) as { records: unknown[] };
    expect(records).toHaveLength(2);
    // The commit past them follows the dead-letter write that the counter already shows.
    await eventually('the group committed past them', async () => {
      const { partitions } = (await (await fetch(`${admin}/api/v1/groups/out`)).json()) as { partitions: { lag: number }[] };
      return partitions.length === 1 && partitions[0]!.lag === 0;
    });
  });
});
