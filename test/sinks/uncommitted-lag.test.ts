import { afterEach, describe, expect, it } from 'vitest';
import { makeSpans } from '../otlp/fixtures.js';
import { api, receivedSpanIds, sendSpans, spanIds, type SubscriptionGateway, startSubscriptionGateway } from '../subscriptions/helpers.js';
import { eventually, spanIdsOf, startReceiver, type TestReceiver } from './helpers.js';

interface GroupView {
  members: { assignment: unknown[] }[];
  partitions: { topic: string; partition: number; committedOffset: number | null; highWatermark: number; lag: number | null }[];
  totalLag: number;
}

/** The group's lag series on /metrics, summed, or undefined when it has none. */
async function lagSeries(admin: string, group: string): Promise<number | undefined> {
  const text = await (await fetch(`${admin}/metrics`)).text();
  const values = [...text.matchAll(new RegExp(`^tributary_group_lag_records\\{group="${group}",[^}]*\\} (\\d+)$`, 'gm'))].map((m) => Number(m[1]));
  return values.length === 0 ? undefined : values.reduce((a, b) => a + b, 0);
}

/** A destination that refuses every export with a retriable 503 (as a backend that is down), counting the spans it was offered. */
async function refusingReceiver(): Promise<TestReceiver & { offered: Set<string> }> {
  const offered = new Set<string>();
  const receiver = Object.assign(await startReceiver(), { offered });
  receiver.respond = (req) => {
    for (const id of spanIdsOf(req.body)) offered.add(id);
    return { status: 503 };
  };
  return receiver;
}

const retryFast = { initial_interval: '20ms', max_interval: '50ms' };

describe('the lag of a pipeline that never delivered', () => {
  let gw: SubscriptionGateway | undefined;
  let sink: TestReceiver | undefined;
  afterEach(async () => {
    await sink?.close();
    await gw?.close();
    gw = sink = undefined;
  });

  it('shows on /api/v1/groups and /metrics from where it started, not as caught up', async () => {
    const refusing = await refusingReceiver();
    sink = refusing;
    gw = await startSubscriptionGateway({
      pipelines: [{ group: 'stuck', topics: ['otlp_spans'], sink: { type: 'otlphttp', endpoint: refusing.url }, batch: { max_wait: '5ms' }, retry: retryFast }],
    });
    const admin = gw.admin;
    await eventually('the member has its partitions', async () => (await api<GroupView>(admin, 'GET', '/api/v1/groups/stuck')).body.members[0]?.assignment.length === 3);
    const spans = makeSpans({ service: 'checkout', traces: 6, spansPerTrace: 1 });
    await sendSpans(gw.receiver, spans);
    // A member retries its first batch until it is taken; records polled after it wait behind it.
    await eventually('spans offered and refused', () => spanIds(spans).some((id) => refusing.offered.has(id)));

    const { body } = await api<GroupView>(admin, 'GET', '/api/v1/groups/stuck');
    // Six records (one per trace) wait: each partition shows where the pipeline started and what it has yet to deliver.
    expect(body.totalLag).toBe(6);
    for (const p of body.partitions) expect(p).toMatchObject({ committedOffset: 0, lag: p.highWatermark });
    expect(await lagSeries(admin, 'stuck')).toBe(6);
  }, 30_000);

  it('a subscription starting at the latest offset keeps its place across a restart before its first delivery', async () => {
    const refusing = await refusingReceiver();
    sink = refusing;
    gw = await startSubscriptionGateway();
    const before = makeSpans({ service: 'checkout', traces: 4, spansPerTrace: 1 });
    await sendSpans(gw.receiver, before);
    const created = await api(gw.admin, 'POST', '/api/v1/pipelines', {
      group: 'late',
      topics: ['otlp_spans'],
      sink: { type: 'otlphttp', endpoint: refusing.url },
      auto_offset_reset: 'latest',
      batch: { max_wait: '5ms' },
      retry: retryFast,
    });
    expect(created.status).toBe(201);
    const admin = gw.admin;
    // Where it starts shows at once, as the group's committed offsets: the end of each partition then.
    const started = await eventually('the start committed', async () => {
      const { partitions } = (await api<GroupView>(admin, 'GET', '/api/v1/groups/late')).body;
      return partitions.length === 3 && partitions.every((p) => p.committedOffset !== null) && partitions;
    });
    for (const p of started) expect(p).toMatchObject({ committedOffset: p.highWatermark, lag: 0 });
    expect(started.reduce((n, p) => n + p.highWatermark, 0)).toBe(4);
    const after = makeSpans({ service: 'checkout', traces: 5, spansPerTrace: 1 });
    await sendSpans(gw.receiver, after);
    await eventually('new spans offered and refused', () => spanIds(after).some((id) => refusing.offered.has(id)));
    await eventually('the new spans counted as lag', async () => (await api<GroupView>(admin, 'GET', '/api/v1/groups/late')).body.totalLag === 5);

    // The backend comes back while the gateway restarts: what arrived after the start is delivered, and only that.
    refusing.respond = () => ({ status: 200 });
    await gw.restart();
    await eventually('the new spans delivered after the restart', () => spanIds(after).every((id) => receivedSpanIds(refusing).has(id)));
    expect(spanIds(before).filter((id) => receivedSpanIds(refusing).has(id))).toEqual([]);
    await eventually('caught up', async () => (await api<GroupView>(gw!.admin, 'GET', '/api/v1/groups/late')).body.totalLag === 0);
  }, 30_000);
});
