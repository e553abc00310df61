import { statfs } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, type SubscriptionGateway, startSubscriptionGateway } from '../subscriptions/helpers.js';

/** The samples of a Prometheus text, keyed `name{label="value",...}` with the labels sorted. */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^(\w+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) continue;
    const labels = [...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map(([, k, v]) => `${k}="${v}"`).sort();
    out.set(`${m[1]}{${labels.join(',')}}`, Number(m[3]));
  }
  return out;
}

/**
 * increase() and rate() need a sample before a counter's first increment: a series born at it
 * makes an alert on the first dead letter, broker restart or 429 never fire.
 */
describe('counters an alert rates are on /metrics at 0 from the start', () => {
  let gw: SubscriptionGateway;
  const scrape = async () => samples(await (await fetch(`${gw.admin}/metrics`)).text());

  beforeAll(async () => {
    gw = await startSubscriptionGateway({ pipelines: [{ group: 'audit', topics: ['otlp_spans'], sink: { type: 'debug' } }] });
  });
  afterAll(async () => {
    await gw?.close();
  });

  it("a fresh gateway's brokers, sink workers, pipelines and receiver answers", async () => {
    const metrics = await scrape();
    const expected = [
      'tributary_log_broker_restarts_total{broker="0"}',
      'tributary_log_broker_restarts_total{broker="1"}',
      'tributary_sink_records_total{outcome="exported",pipeline="audit"}',
      'tributary_sink_records_total{outcome="dead_lettered",pipeline="audit"}',
      'tributary_sink_records_total{outcome="dropped",pipeline="audit"}',
      'tributary_sink_failures_total{kind="retriable",pipeline="audit"}',
      'tributary_sink_failures_total{kind="permanent",pipeline="audit"}',
      'tributary_sink_retries_total{pipeline="audit"}',
      'tributary_sink_items_total{pipeline="audit"}',
      'tributary_sink_dropped_items_total{pipeline="audit"}',
      'tributary_sink_rejected_items_total{pipeline="audit"}',
      'tributary_receiver_requests_total{signal="traces",status="200"}',
      'tributary_receiver_requests_total{signal="logs",status="429"}',
      'tributary_receiver_requests_total{signal="metrics",status="503"}',
      'tributary_receiver_items_total{signal="events"}',
      'tributary_receiver_bytes_total{signal="logs"}',
    ];
    expect(Object.fromEntries(expected.map((series) => [series, metrics.get(series)]))).toEqual(Object.fromEntries(expected.map((series) => [series, 0])));
    // The thread the pipeline runs on, whichever it is.
    const workers = [...metrics].filter(([series]) => series.startsWith('tributary_sink_worker_restarts_total{'));
    expect(workers.length).toBeGreaterThan(0);
    expect(workers.every(([, value]) => value === 0)).toBe(true);
  });

  it("shows the size of log.data_dir's disk and what is free on it, for an alert before it is full", async () => {
    const metrics = await scrape();
    const disk = await statfs(gw.dataDir);
    expect(metrics.get('tributary_log_disk_size_bytes{}')).toBe(disk.blocks * disk.bsize);
    const free = metrics.get('tributary_log_disk_free_bytes{}') ?? 0;
    expect(free).toBeGreaterThan(0);
    expect(free).toBeLessThanOrEqual(disk.blocks * disk.bsize);
  });

  it("a pipeline created through the API has its series at 0, and they leave with it", async () => {
    const created = await api(gw.admin, 'POST', '/api/v1/pipelines', { group: 'later', topics: ['otlp_spans'], sink: { type: 'debug' } });
    expect(created.status).toBe(201);
    const later = 'tributary_sink_records_total{outcome="dead_lettered",pipeline="later"}';
    expect((await scrape()).get(later)).toBe(0);
    expect((await api(gw.admin, 'DELETE', '/api/v1/pipelines/later')).status).toBe(200);
    const after = await scrape();
    expect([...after.keys()].filter((series) => series.includes('pipeline="later"'))).toEqual([]);
    expect(after.get('tributary_sink_records_total{outcome="dead_lettered",pipeline="audit"}')).toBe(0);
  });
});
