import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { makeSpans } from '../otlp/fixtures.js';
import { eventually, spanIdsOf, startReceiver, type TestReceiver } from '../sinks/helpers.js';
import { api, otlpSubscription, receivedSpanIds, type SubscriptionGateway, sendSpans, spanIds, startSubscriptionGateway } from './helpers.js';

vi.setConfig({ testTimeout: 60_000 });

/** A private key pasted where its file's path belongs. */
const PEM_KEY = '-----BEGIN PRIVATE KEY-----\nPEM-KEY-BODY\n-----END PRIVATE KEY-----\n';

interface PipelineJson {
  group: string;
  source: string;
  state: string;
  lag: number | null;
  sink: Record<string, unknown>;
  start?: unknown;
}

describe('the pipelines API: subscriptions at run time', () => {
  let gw: SubscriptionGateway | undefined;
  const sinks: TestReceiver[] = [];
  const receiver = async () => {
    const sink = await startReceiver();
    sinks.push(sink);
    return sink;
  };
  afterEach(async () => {
    await gw?.close();
    gw = undefined;
    await Promise.all(sinks.splice(0).map((s) => s.close()));
  });

  const pipeline = async (group: string) => (await api<PipelineJson>(gw!.admin, 'GET', `/api/v1/pipelines/${group}`)).body;
  const lagOf = async (group: string) => (await pipeline(group)).lag;

  it('replays what was written with start earliest, starts at a moment with a timestamp, and sees only what comes after with latest', async () => {
    gw = await startSubscriptionGateway();
    const before = makeSpans({ service: 'cart', traces: 6, spansPerTrace: 2 });
    await sendSpans(gw.receiver, before);
    await sleep(20);
    const moment = Date.now();
    await sleep(20);
    const middle = makeSpans({ service: 'cart', traces: 4, spansPerTrace: 2 });
    await sendSpans(gw.receiver, middle);

    const [everything, fromMoment, fromNow] = [await receiver(), await receiver(), await receiver()];
    for (const [group, sink, start] of [
      ['replay', everything, 'earliest'],
      ['since', fromMoment, { timestamp: moment }],
      ['fresh', fromNow, 'latest'],
    ] as const) {
      const created = await api<PipelineJson>(gw.admin, 'POST', '/api/v1/pipelines', otlpSubscription(group, sink, { start }));
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      expect(created.body).toMatchObject({ group, source: 'api', state: 'running', start });
    }
    const after = makeSpans({ service: 'cart', traces: 5, spansPerTrace: 2 });
    await sendSpans(gw.receiver, after);

    await eventually('every subscription caught up', async () => (await Promise.all(['replay', 'since', 'fresh'].map(lagOf))).every((lag) => lag === 0));
    expect(receivedSpanIds(everything)).toEqual(new Set(spanIds([...before, ...middle, ...after])));
    expect(receivedSpanIds(fromMoment)).toEqual(new Set(spanIds([...middle, ...after])));
    expect(receivedSpanIds(fromNow)).toEqual(new Set(spanIds(after)));

    const { body } = await api<{ pipelines: PipelineJson[] }>(gw.admin, 'GET', '/api/v1/pipelines');
    expect(body.pipelines.map((p) => [p.group, p.source, p.state, p.lag])).toEqual([
      ['replay', 'api', 'running', 0],
      ['since', 'api', 'running', 0],
      ['fresh', 'api', 'running', 0],
    ]);
  });

  it('pause holds the lag, resume drains it; delete stops delivery at once, and can forget the offsets', async () => {
    gw = await startSubscriptionGateway();
    const [paused, witness] = [await receiver(), await receiver()];
    expect((await api(gw.admin, 'POST', '/api/v1/pipelines', otlpSubscription('team', paused, { start: 'latest' }))).status).toBe(201);
    expect((await api(gw.admin, 'POST', '/api/v1/pipelines', otlpSubscription('witness', witness, { start: 'latest' }))).status).toBe(201);
    const first = makeSpans({ traces: 3, spansPerTrace: 1 });
    await sendSpans(gw.receiver, first);
    await eventually('the first spans delivered', () => receivedSpanIds(paused).size === 3);

    const pausedView = await api<PipelineJson>(gw.admin, 'POST', '/api/v1/pipelines/team/pause');
    expect(pausedView.body).toMatchObject({ group: 'team', state: 'paused' });
    const second = makeSpans({ traces: 4, spansPerTrace: 1 });
    await sendSpans(gw.receiver, second);
    await eventually('the witness got the second spans', () => receivedSpanIds(witness).size === 7);
    // The witness read them: so would the paused group have, had it members.
    expect(await lagOf('team')).toBe(4);
    expect(receivedSpanIds(paused).size).toBe(3);
    const group = (await api<{ state: string; members: unknown[] }>(gw.admin, 'GET', '/api/v1/groups/team')).body;
    expect(group).toMatchObject({ state: 'Empty', members: [] });

    expect((await api<PipelineJson>(gw.admin, 'POST', '/api/v1/pipelines/team/resume')).body).toMatchObject({ state: 'running' });
    await eventually('resumed and drained', async () => (await lagOf('team')) === 0);
    expect(receivedSpanIds(paused)).toEqual(new Set(spanIds([...first, ...second])));

    const deleted = await api(gw.admin, 'DELETE', '/api/v1/pipelines/team?offsets=delete');
    expect(deleted).toEqual({ status: 200, body: { group: 'team', offsets: 'deleted' } });
    expect((await api(gw.admin, 'GET', '/api/v1/pipelines/team')).status).toBe(404);
    expect((await api(gw.admin, 'GET', '/api/v1/groups/team')).status).toBe(404);
    const third = makeSpans({ traces: 2, spansPerTrace: 1 });
    await sendSpans(gw.receiver, third);
    await eventually('the witness got the third spans', () => receivedSpanIds(witness).size === 9);
    await sleep(200);
    expect(receivedSpanIds(paused).size).toBe(7);

    // Deleted with its offsets kept, a group created again goes on where it stopped.
    expect((await api(gw.admin, 'DELETE', '/api/v1/pipelines/witness')).body).toEqual({ group: 'witness', offsets: 'kept' });
    const again = await receiver();
    await sendSpans(gw.receiver, makeSpans({ traces: 1, spansPerTrace: 1 }));
    expect((await api(gw.admin, 'POST', '/api/v1/pipelines', otlpSubscription('witness', again))).status).toBe(201);
    await eventually('the recreated witness drained', async () => (await lagOf('witness')) === 0);
    expect(receivedSpanIds(again).size).toBe(1);
  });

  it('two subscriptions with different filters on the same topic each receive exactly their services', async () => {
    gw = await startSubscriptionGateway();
    const [checkoutTeam, paymentTeam] = [await receiver(), await receiver()];
    for (const [group, sink, services] of [
      ['checkout-team', checkoutTeam, ['checkout']],
      ['payment-team', paymentTeam, ['payment', 'fraud']],
    ] as const) {
      const created = await api<PipelineJson & { filter: unknown }>(gw.admin, 'POST', '/api/v1/pipelines', otlpSubscription(group, sink, { filter: { resource: { 'service.name': services } } }));
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      expect(created.body.filter).toEqual({ resource: { 'service.name': services } });
    }
    const byService = Object.fromEntries(['checkout', 'payment', 'fraud', 'search'].map((service) => [service, makeSpans({ service, traces: 3, spansPerTrace: 2 })]));
    for (const spans of Object.values(byService)) await sendSpans(gw.receiver, spans);
    await eventually('both caught up', async () => (await lagOf('checkout-team')) === 0 && (await lagOf('payment-team')) === 0);
    expect(receivedSpanIds(checkoutTeam)).toEqual(new Set(spanIds(byService.checkout)));
    expect(receivedSpanIds(paymentTeam)).toEqual(new Set(spanIds([...byService.payment, ...byService.fraud])));
    const metrics = await (await fetch(`${gw.admin}/metrics`)).text();
    expect(metrics).toMatch(/tributary_sink_filtered_total\{pipeline="checkout-team"\} 9\b/);
  });

  it('keeps at most sinks.max_subscriptions subscriptions', async () => {
    gw = await startSubscriptionGateway({ sinks: { workers: 1, max_subscriptions: 1 } });
    const pipeline = (group: string) => ({ group, topics: ['otlp_spans'], sink: { type: 'debug' } });
    expect((await api(gw.admin, 'POST', '/api/v1/pipelines', pipeline('first'))).status).toBe(201);
    const refused = await api<{ error: { code: string; message: string } }>(gw.admin, 'POST', '/api/v1/pipelines', pipeline('second'));
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({ code: 'PIPELINE_LIMIT', message: expect.stringMatching(/sinks\.max_subscriptions \(1\)/) });
    await api(gw.admin, 'DELETE', '/api/v1/pipelines/first');
    expect((await api(gw.admin, 'POST', '/api/v1/pipelines', pipeline('second'))).status).toBe(201);
  });

  it('asks for the admin token when admin auth is on', async () => {
    gw = await startSubscriptionGateway({ admin: { endpoint: '127.0.0.1:0', auth: { tokens: [{ token: 'ops-token' }] } } });
    const body = JSON.stringify({ group: 'guarded', topics: ['otlp_spans'], sink: { type: 'debug' } });
    const post = (headers: Record<string, string>) => fetch(`${gw!.admin}/api/v1/pipelines`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
    expect((await post({})).status).toBe(401);
    expect((await fetch(`${gw.admin}/api/v1/pipelines`)).status).toBe(401);
    expect((await post({ authorization: 'Bearer ops-token' })).status).toBe(201);
  });

  it('lists config pipelines as read-only', async () => {
    gw = await startSubscriptionGateway({ pipelines: [{ group: 'from-yaml', topics: ['otlp_logs'], sink: { type: 'debug', verbosity: 'basic' } }] });
    const { body } = await api<{ pipelines: PipelineJson[] }>(gw.admin, 'GET', '/api/v1/pipelines');
    expect(body.pipelines).toMatchObject([{ group: 'from-yaml', source: 'config', state: 'running' }]);
    for (const [method, path] of [
      ['POST', '/api/v1/pipelines/from-yaml/pause'],
      ['POST', '/api/v1/pipelines/from-yaml/resume'],
      ['DELETE', '/api/v1/pipelines/from-yaml'],
    ]) {
      const answer = await api<{ error: { code: string; message: string } }>(gw.admin, method, path);
      expect(answer.status).toBe(409);
      expect(answer.body.error).toMatchObject({ code: 'PIPELINE_READ_ONLY', message: expect.stringMatching(/config file/) });
    }
    const taken = await api<{ error: { field: string } }>(gw.admin, 'POST', '/api/v1/pipelines', { group: 'from-yaml', topics: ['otlp_logs'], sink: { type: 'debug' } });
    expect(taken.status).toBe(409);
    expect(taken.body.error.field).toBe('group');
  });

  it('answers every bad request with a status and a message that names the field', async () => {
    gw = await startSubscriptionGateway();
    const good = { group: 'bad-requests', topics: ['otlp_spans'], sink: { type: 'debug' } };
    const cases: [string, unknown, number, string | undefined, RegExp][] = [
      ['no group', { topics: ['otlp_spans'], sink: { type: 'debug' } }, 400, 'group', /group/],
      ['a group name with a slash', { ...good, group: 'a/b' }, 400, 'group', /a-z/],
      ['no topics', { ...good, topics: [] }, 400, 'topics', /topics/],
      ['a topic that does not exist', { ...good, topics: ['otlp_spans', 'nope'] }, 400, 'topics[1]', /"nope" does not exist/],
      ['an unknown sink type', { ...good, sink: { type: 'carrier-pigeon' } }, 400, 'sink.type', /unknown sink type/],
      ['an otlphttp sink without endpoint', { ...good, sink: { type: 'otlphttp' } }, 400, 'sink.endpoint', /sink\.endpoint/],
      ['a start that is no moment', { ...good, start: 'yesterday' }, 400, 'start', /earliest.*latest.*timestamp/],
      ['zero members', { ...good, members: 0 }, 400, 'members', /members/],
      ['an unknown key', { ...good, colour: 'blue' }, 400, 'colour', /unknown key "colour"/],
      ['dead letters into its own topic', { ...good, dead_letter: { topic: 'otlp_spans' } }, 400, 'dead_letter.topic', /own topics/],
      ['a filter with an empty list', { ...good, filter: { tenants: [] } }, 400, 'filter.tenants', /filter\.tenants/],
      ['a severity that is none', { ...good, filter: { min_severity: 'LOUD' } }, 400, 'filter.min_severity', /WARN/],
      ['a Kafka sink key given as PEM text', { ...good, sink: { type: 'kafka', brokers: ['127.0.0.1:9'], tls: { cert_file: '/etc/c.pem', key_file: PEM_KEY } } }, 400, 'sink.tls.key_file', /path of a PEM file/],
      // Node fires a timer over 2^31-1 ms at once: every export would time out as it starts.
      ['an export timeout longer than a timer holds', { ...good, sink: { type: 'otlphttp', endpoint: 'http://127.0.0.1:9', timeout: '30d' } }, 400, 'sink.timeout', /at most 2147483647 ms/],
      ['an export timeout of 0', { ...good, sink: { type: 'webhook', endpoint: 'http://127.0.0.1:9', timeout: 0 } }, 400, 'sink.timeout', /above 0/],
      ['a body that is not JSON', '{"group":', 400, undefined, /not valid JSON/],
      ['a body that is a list', [good], 400, undefined, /expected object/],
    ];
    for (const [what, body, status, field, message] of cases) {
      const answer = await api<{ error: { code: string; message: string; field?: string } }>(gw.admin, 'POST', '/api/v1/pipelines', body);
      expect([what, answer.status, answer.body.error.code, answer.body.error.field, answer.body.error.message]).toEqual([
        what,
        status,
        'INVALID_REQUEST',
        field,
        expect.stringMatching(message),
      ]);
      expect(answer.body.error.message).not.toContain('PEM-KEY-BODY');
    }
    expect((await api(gw.admin, 'POST', '/api/v1/pipelines', good)).status).toBe(201);
    expect((await api(gw.admin, 'POST', '/api/v1/pipelines', good)).body).toMatchObject({ error: { code: 'PIPELINE_EXISTS', field: 'group' } });
    expect((await api(gw.admin, 'DELETE', '/api/v1/pipelines/bad-requests?offsets=maybe')).body).toMatchObject({ error: { message: /offsets.*"keep".*"delete"/ } });
    expect((await api(gw.admin, 'DELETE', '/api/v1/pipelines/never-made')).status).toBe(404);
    expect((await api(gw.admin, 'POST', '/api/v1/pipelines/never-made/pause')).status).toBe(404);
    // Nothing refused was kept.
    const { body } = await api<{ pipelines: PipelineJson[] }>(gw.admin, 'GET', '/api/v1/pipelines');
    expect(body.pipelines.map((p) => p.group)).toEqual(['bad-requests']);
  });

  it('never echoes a sink secret, and keeps the stored subscriptions readable by the gateway alone', async () => {
    gw = await startSubscriptionGateway();
    const sink = await receiver();
    const url = new URL(sink.url);
    url.username = 'team';
    url.password = 'hunter2';
    const created = await api(gw.admin, 'POST', '/api/v1/pipelines', {
      ...otlpSubscription('secretive', sink),
      sink: { type: 'otlphttp', endpoint: url.toString(), headers: { Authorization: 'Bearer s3cr3t-token', 'X-Scope-OrgID': 'tenant-7' } },
    });
    expect(created.status).toBe(201);
    const shown = JSON.stringify([created.body, (await api(gw.admin, 'GET', '/api/v1/pipelines')).body, (await api(gw.admin, 'GET', '/api/v1/pipelines/secretive')).body]);
    expect(shown).not.toMatch(/hunter2|s3cr3t-token|tenant-7/);
    expect(shown).toContain('<redacted>');
    // The sink itself got the real header.
    await sendSpans(gw.receiver, makeSpans({ traces: 1, spansPerTrace: 1 }));
    await eventually('delivered', () => sink.requests.length > 0);
    expect(sink.requests[0].headers.authorization).toBe('Bearer s3cr3t-token');
    const stored = join(gw.dataDir, 'meta', 'pipelines.json');
    expect(statSync(stored).mode & 0o777).toBe(0o600);
    expect(readFileSync(stored, 'utf8')).toContain('s3cr3t-token');
  });

  it('restores API-created pipelines at restart, each in its state and from its offsets', async () => {
    gw = await startSubscriptionGateway();
    const [running, paused] = [await receiver(), await receiver()];
    await api(gw.admin, 'POST', '/api/v1/pipelines', otlpSubscription('keeps-running', running, { start: 'latest' }));
    await api(gw.admin, 'POST', '/api/v1/pipelines', otlpSubscription('stays-paused', paused, { start: 'latest' }));
    await api(gw.admin, 'POST', '/api/v1/pipelines/stays-paused/pause');
    const first = makeSpans({ traces: 5, spansPerTrace: 1 });
    await sendSpans(gw.receiver, first);
    await eventually('delivered before the restart', async () => (await lagOf('keeps-running')) === 0);

    await gw.restart();
    const { body } = await api<{ pipelines: PipelineJson[] }>(gw.admin, 'GET', '/api/v1/pipelines');
    expect(body.pipelines.map((p) => [p.group, p.state])).toEqual([
      ['keeps-running', 'running'],
      ['stays-paused', 'paused'],
    ]);
    expect(await lagOf('stays-paused')).toBe(5);
    const second = makeSpans({ traces: 3, spansPerTrace: 1 });
    await sendSpans(gw.receiver, second);
    await eventually('delivered after the restart', async () => (await lagOf('keeps-running')) === 0);
    expect(receivedSpanIds(running)).toEqual(new Set(spanIds([...first, ...second])));
    // Its committed offsets held: nothing delivered before the restart came again.
    expect(running.requests.flatMap((r) => spanIdsOf(r.body))).toHaveLength(8);
    expect(receivedSpanIds(paused).size).toBe(0);
  });

  it('lists a stored subscription that no longer passes its checks as failed, and starts anyway', async () => {
    gw = await startSubscriptionGateway();
    const sink = await receiver();
    await api(gw.admin, 'POST', '/api/v1/pipelines', otlpSubscription('edited', sink));
    await api(gw.admin, 'POST', '/api/v1/pipelines', otlpSubscription('intact', sink));
    await gw.gateway.shutdown();
    // Edited by hand: the first one's sink lost its endpoint.
    const file = join(gw.dataDir, 'meta', 'pipelines.json');
    const stored = JSON.parse(readFileSync(file, 'utf8'));
    stored.subscriptions[0].pipeline.sink = { type: 'otlphttp' };
    writeFileSync(file, JSON.stringify(stored));

    await gw.restart();
    const { body } = await api<{ pipelines: (PipelineJson & { error?: string })[] }>(gw.admin, 'GET', '/api/v1/pipelines');
    expect(body.pipelines.map((p) => [p.group, p.state])).toEqual([
      ['edited', 'failed'],
      ['intact', 'running'],
    ]);
    expect(body.pipelines[0].error).toMatch(/sink\.endpoint/);
    const retried = await api<{ error: { message: string } }>(gw.admin, 'POST', '/api/v1/pipelines/edited/resume');
    expect(retried.status).toBe(400);
    expect(retried.body.error.message).toMatch(/delete it and create it again/);
    expect((await api(gw.admin, 'DELETE', '/api/v1/pipelines/edited')).status).toBe(200);
    expect(JSON.parse(readFileSync(file, 'utf8')).subscriptions.map((s: { pipeline: { group: string } }) => s.pipeline.group)).toEqual(['intact']);
  });
});
