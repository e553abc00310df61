import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { makeSpans } from '../otlp/fixtures.js';
import { spanIdsOf, startReceiver, type TestReceiver } from '../sinks/helpers.js';
import { sendSpans, spanIds } from '../subscriptions/helpers.js';
import { eventually, type GatewayProcess, startGatewayProcess, tributary } from './cli-process.js';

vi.setConfig({ testTimeout: 120_000 });

interface Pipeline {
  group: string;
  state: string;
  lag: number | null;
}

describe('subscriptions survive kill -9', () => {
  const running: GatewayProcess[] = [];
  let sink: TestReceiver | undefined;
  let dataDir = '';
  afterEach(async () => {
    await Promise.all(running.splice(0).map((g) => g.stop()));
    await sink?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('a pipeline created with the CLI is restored by the next start, from its committed offsets', async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'tributary-subscription-crash-'));
    sink = await startReceiver();
    const first = await startGatewayProcess({ dataDir });
    running.push(first);
    const created = await tributary(
      ['pipelines', 'create', '--group', 'team-traces', '--topic', 'otlp_spans', '--sink', 'otlphttp', '--sink-opt', `endpoint=${sink.url}`, '--start', 'earliest'],
      { TRIBUTARY_ADMIN_URL: first.adminUrl },
    );
    expect(created.stderr).toBe('');
    const before = makeSpans({ traces: 8, spansPerTrace: 1 });
    await sendSpans(first.receiverUrl, before);
    const pipeline = async (g: GatewayProcess) => (await (await fetch(`${g.adminUrl}/api/v1/pipelines/team-traces`)).json()) as Pipeline;
    await eventually('delivered before the crash', async () => (await pipeline(first)).lag === 0);
    const delivered = sink.requests.flatMap((r) => spanIdsOf(r.body)).length;

    running.splice(0);
    await first.kill();
    const second = await startGatewayProcess({ dataDir });
    running.push(second);
    expect(await pipeline(second)).toMatchObject({ group: 'team-traces', state: 'running', lag: 0 });
    const after = makeSpans({ traces: 5, spansPerTrace: 1 });
    await sendSpans(second.receiverUrl, after);
    await eventually('delivered after the restart', async () => (await pipeline(second)).lag === 0);
    const received = sink.requests.flatMap((r) => spanIdsOf(r.body));
    expect(new Set(received)).toEqual(new Set(spanIds([...before, ...after])));
    // Its offsets were committed before the crash: what it had delivered is not delivered again.
    expect(received.length - delivered).toBe(after.length);
  });
});
