import { afterEach, describe, expect, it, vi } from 'vitest';
import { makeSpans } from '../otlp/fixtures.js';
import { eventually, pipelineMetric, startReceiver, type TestReceiver } from '../sinks/helpers.js';
import { api, otlpSubscription, type SubscriptionGateway, sendSpans, startSubscriptionGateway } from './helpers.js';

vi.setConfig({ testTimeout: 90_000 });

const CYCLES = 6;

/** The label values of `label` on the series /metrics shows. */
async function labelValues(admin: string, label: string): Promise<Set<string>> {
  const text = await (await fetch(`${admin}/metrics`)).text();
  return new Set([...text.matchAll(new RegExp(`[{,]${label}="([^"]*)"`, 'g'))].map((m) => m[1]));
}

describe('subscriptions created and deleted over and over', () => {
  let gw: SubscriptionGateway | undefined;
  let sink: TestReceiver | undefined;
  afterEach(async () => {
    await gw?.close();
    gw = undefined;
    await sink?.close();
    sink = undefined;
  });

  it('leave no series of a deleted pipeline or its group on /metrics', async () => {
    gw = await startSubscriptionGateway();
    sink = await startReceiver();
    await sendSpans(gw.receiver, makeSpans({ service: 'cart', traces: 3, spansPerTrace: 2 }));
    for (let i = 0; i < CYCLES; i++) {
      const group = `churn-${i}`;
      expect((await api(gw.admin, 'POST', '/api/v1/pipelines', otlpSubscription(group, sink, { start: 'earliest' }))).status).toBe(201);
      await eventually(`${group} exported`, async () => (await pipelineMetric(gw!.admin, group, 'tributary_sink_records_total', ',outcome="exported"')) > 0);
      // Half are deleted with their offsets, half paused first: either way the pipeline is gone.
      if (i % 2 === 1) await api(gw.admin, 'POST', `/api/v1/pipelines/${group}/pause`);
      expect((await api(gw.admin, 'DELETE', `/api/v1/pipelines/${group}?offsets=delete`)).status).toBe(200);
    }
    const pipelines = await labelValues(gw.admin, 'pipeline');
    const groups = await labelValues(gw.admin, 'group');
    expect([...pipelines].filter((p) => p.startsWith('churn-'))).toEqual([]);
    expect([...groups].filter((g) => g.startsWith('churn-'))).toEqual([]);
    expect((await api<{ groups: unknown[] }>(gw.admin, 'GET', '/api/v1/groups')).body.groups).toEqual([]);
  });
});
