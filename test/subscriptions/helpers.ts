import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { configSchema } from '../../src/config/schema.js';
import { createGateway, type Gateway } from '../../src/gateway.js';
import { silentLogger } from '../../src/telemetry/logger.js';
import { spanIdsOf, type TestReceiver } from '../sinks/helpers.js';

/** A gateway built by the real factory on port 0, with a data directory that outlives a restart. */
export interface SubscriptionGateway {
  gateway: Gateway;
  admin: string;
  receiver: string;
  dataDir: string;
  /** Shuts down, then starts a new gateway on the same data directory. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

export async function startSubscriptionGateway(extra: Record<string, unknown> = {}): Promise<SubscriptionGateway> {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-subscriptions-'));
  const dataDir = join(dir, 'data');
  const config = configSchema.parse({
    receiver: { endpoint: '127.0.0.1:0', workers: 1 },
    admin: { endpoint: '127.0.0.1:0' },
    kafka: { listener: '' },
    log: { data_dir: dataDir, brokers: 2, fsync: 'never' },
    topics: { otlp_spans: { partitions: 3 } },
    groups: { session_timeout: '3s', heartbeat_interval: '100ms', rebalance_timeout: '2s' },
    sinks: { workers: 2 },
    ...extra,
  });
  const state = { gateway: createGateway(config, { logger: silentLogger }) };
  await state.gateway.start();
  const urls = () => ({
    admin: `http://127.0.0.1:${state.gateway.adminAddress().port}`,
    receiver: `http://127.0.0.1:${state.gateway.receiverAddress().port}`,
  });
  const handle: SubscriptionGateway = {
    get gateway() {
      return state.gateway;
    },
    ...urls(),
    dataDir,
    async restart() {
      await state.gateway.shutdown();
      state.gateway = createGateway(config, { logger: silentLogger });
      await state.gateway.start();
      Object.assign(handle, urls());
    },
    async close() {
      await state.gateway.shutdown();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return handle;
}

export interface ApiAnswer<T = Record<string, unknown>> {
  status: number;
  body: T;
}

/** A call to the admin API with a JSON body (or a raw string), answered with its status and JSON. */
export async function api<T = Record<string, unknown>>(admin: string, method: string, path: string, body?: unknown): Promise<ApiAnswer<T>> {
  const response = await fetch(`${admin}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as T };
}

export { sendSpans } from '../sinks/helpers.js';

export const spanIds = (spans: ReadableSpan[]) => spans.map((s) => s.spanContext().spanId);

/** The distinct span ids an OTLP receiver got (at least once: duplicates folded). */
export const receivedSpanIds = (sink: TestReceiver) => new Set(sink.requests.flatMap((r) => spanIdsOf(r.body)));

/** An otlphttp subscription to a test receiver. */
export function otlpSubscription(group: string, sink: TestReceiver, more: Record<string, unknown> = {}): Record<string, unknown> {
  return { group, topics: ['otlp_spans'], sink: { type: 'otlphttp', endpoint: sink.url }, batch: { max_wait: '5ms' }, ...more };
}
