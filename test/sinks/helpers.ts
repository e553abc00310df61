import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterEach, expect } from 'vitest';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { ProtobufLogsSerializer, ProtobufMetricsSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { loadConfig } from '../../src/config/load.js';
import { configSchema, type PipelineConfig } from '../../src/config/schema.js';
import { createGateway, type Gateway } from '../../src/gateway.js';
import type { LogBackend } from '../../src/log/backend.js';
import { RecordView } from '../../src/log/record-view.js';
import type { ConsumedRecord } from '../../src/log/types.js';
import { protoToJson } from '../../src/otlp/proto-to-json.js';
import { createPipelines, type Pipelines } from '../../src/sinks/runtime/pipelines.js';
import type { Signal, SinkBatch, SinkContext } from '../../src/sinks/sink.js';
import { exportSpans } from '../e2e/spans.js';
import { silentLogger } from '../../src/telemetry/logger.js';
import { Telemetry } from '../../src/telemetry/telemetry.js';
import { type GroupFixture, startGroups } from '../groups/helpers.js';
import { makeLogs, makeMetrics, makeSpans } from '../otlp/fixtures.js';

export const TOPICS = ['otlp_spans', 'otlp_metrics', 'otlp_logs', 'otlp_events'];
const PROTOBUF = [{ key: 'content-type', value: 'application/x-protobuf' }];

/** A real embedded log (groups on short timeouts) with the four OTLP topics. */
export async function startLog(dataDir: string, partitions = 2, groups: Record<string, unknown> = {}): Promise<GroupFixture> {
  const fixture = await startGroups(dataDir, groups);
  for (const name of TOPICS) await fixture.log.createTopic({ name, partitions }, { ifNotExists: true });
  return fixture;
}

/** Pipelines over the fixture's log; `pipelines` in the config's YAML shape, defaults filled by the schema. */
export function pipelinesOver(f: GroupFixture, pipelines: Record<string, unknown>[], sinks: Record<string, unknown> = {}): Pipelines {
  const parsed = configSchema.parse({ pipelines, sinks });
  return createPipelines({
    pipelines: parsed.pipelines,
    workers: parsed.sinks.workers,
    backend: f.log,
    telemetry: f.telemetry,
    logger: silentLogger,
  });
}

/**
 * For a describe block of pipeline tests: the log and the pipelines a test starts through it, and
 * the OTLP receivers it opens, all stopped after each test (the receivers first, so that an export
 * held unanswered does not hold up the pipelines' shutdown).
 */
export function usePipelineRun(dataDir: () => string) {
  let log: GroupFixture | undefined;
  let pipelines: Pipelines | undefined;
  const receivers: TestReceiver[] = [];
  afterEach(async () => {
    for (const r of receivers.splice(0)) await r.close();
    await pipelines?.shutdown();
    await log?.stop();
    pipelines = log = undefined;
  });
  return {
    async startLog(partitions = 2, groups: Record<string, unknown> = {}): Promise<GroupFixture> {
      log = await startLog(dataDir(), partitions, groups);
      return log;
    },
    pipelinesOver(f: GroupFixture, list: Record<string, unknown>[], sinks: Record<string, unknown> = {}): Pipelines {
      pipelines = pipelinesOver(f, list, sinks);
      return pipelines;
    },
    async receiver(): Promise<TestReceiver> {
      const r = await startReceiver();
      receivers.push(r);
      return r;
    },
    /** The sum of the group's committed offsets. */
    async committed(group: string): Promise<number> {
      return (await log!.log.fetchOffsets(group)).reduce((n, o) => n + o.offset, 0);
    },
  };
}

export type { PipelineConfig };

type Producer = Pick<LogBackend, 'produce'>;

/** Produces `traces` traces of `spansPerTrace` spans, one record per trace as the receiver writes them. */
export async function produceTraces(log: Producer, options: { service: string; traces: number; spansPerTrace: number; partition?: number }) {
  const spans = makeSpans(options);
  const byTrace = new Map<string, typeof spans>();
  for (const s of spans) byTrace.set(s.spanContext().traceId, [...(byTrace.get(s.spanContext().traceId) ?? []), s]);
  const records = [...byTrace.values()].map((trace) => ({ value: ProtobufTraceSerializer.serializeRequest(trace)!, headers: PROTOBUF }));
  await log.produce('otlp_spans', options.partition ?? 0, records);
  return spans;
}

export async function produceMetrics(log: Producer, options: { service: string; series: number; partition?: number }) {
  const metrics = await makeMetrics(options);
  await log.produce('otlp_metrics', options.partition ?? 0, [{ value: ProtobufMetricsSerializer.serializeRequest(metrics)!, headers: PROTOBUF }]);
  return metrics;
}

export async function produceLogs(log: Producer, options: { service: string; logs: number; partition?: number }) {
  const logs = makeLogs({ ...options, events: 0 });
  await log.produce('otlp_logs', options.partition ?? 0, [{ value: ProtobufLogsSerializer.serializeRequest(logs)!, headers: PROTOBUF }]);
  return logs;
}

/** Waits for `check` to hold, re-checking as the system under test makes progress; fails with `what` rather than hang. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export interface ReceivedRequest {
  path: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

export interface ReceiverAnswer {
  status: number;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
}

export interface TestReceiver {
  url: string;
  requests: ReceivedRequest[];
  /** Decides each answer, possibly later; the default answers 200 with an empty body. */
  respond: (req: ReceivedRequest, n: number) => ReceiverAnswer | Promise<ReceiverAnswer>;
  close(): Promise<void>;
}

/** A real HTTP server on a free loopback port that records what it is sent (gunzipped) and answers as told. */
export async function startReceiver(): Promise<TestReceiver> {
  const receiver: TestReceiver = {
    url: '',
    requests: [],
    respond: () => ({ status: 200 }),
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
  let n = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      let body = Buffer.concat(chunks);
      if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
      const received = { path: req.url ?? '', headers: req.headers, body };
      const answer = await receiver.respond(received, n++);
      if (answer.status >= 200 && answer.status < 300) receiver.requests.push(received);
      res.writeHead(answer.status, answer.headers);
      res.end(answer.body);
    });
  });
  server.keepAliveTimeout = 100;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return receiver;
}

/** Every record of a topic partition from the start. */
export async function readAll(log: Pick<LogBackend, 'fetch'>, topic: string, partition = 0): Promise<ConsumedRecord[]> {
  const out: ConsumedRecord[] = [];
  let offset = 0;
  for (;;) {
    const { records, nextOffset, highWatermark } = await log.fetch({ topic, partition, offset });
    out.push(...records);
    if (nextOffset >= highWatermark || records.length === 0) return out;
    offset = nextOffset;
  }
}

/** A batch as the runtime hands it to a sink, of records holding the given protobuf requests. */
export function batchOf(signal: Signal, values: Uint8Array[], topic = `otlp_${signal === 'traces' ? 'spans' : signal}`): SinkBatch {
  const records: ConsumedRecord[] = values.map((value, offset) =>
    RecordView.of({
      topic,
      partition: 0,
      offset,
      timestamp: Date.now(),
      key: null,
      value: Buffer.from(value),
      headers: [],
    }),
  );
  return { signals: [{ signal, records }], records: records.length };
}

/** The span ids in an OTLP/protobuf traces request. */
export function spanIdsOf(body: Uint8Array): string[] {
  const json = protoToJson(body, 'ExportTraceServiceRequest') as { resourceSpans: { scopeSpans: { spans: { spanId: string }[] }[] }[] };
  return json.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans.map((x) => x.spanId)));
}

/** The context a pipeline gives its sink, for tests that drive a sink on its own. */
export function sinkContext(overrides: Partial<SinkContext> = {}): SinkContext {
  return { pipeline: 'test', path: 'pipelines[0].sink', topics: TOPICS, logger: silentLogger, telemetry: new Telemetry(), ...overrides };
}

/** True once the group committed every partition of `topics` up to its high watermark. */
export async function caughtUp(f: GroupFixture, group: string, topics: string[]): Promise<boolean> {
  const description = await f.log.describeGroup(group).catch(() => undefined);
  if (!description) return false;
  const expected = topics.reduce((n, t) => n + (f.log.partitionCount(t) ?? 0), 0);
  const partitions = description.partitions.filter((p) => topics.includes(p.topic));
  // A partition that never held a record has nothing to commit.
  return partitions.length === expected && partitions.every((p) => p.lag === 0 || (p.committedOffset === null && p.highWatermark === 0));
}

/**
 * Makes `sink` hold every export unanswered until `release()`: a sink thread killed meanwhile dies
 * with its export in flight. After release it answers 200 and collects the span ids it received.
 */
export function holdExports(sink: TestReceiver): { seen: Set<string>; requests(): number; release(): void } {
  const seen = new Set<string>();
  let requests = 0;
  let hang = true;
  sink.respond = (req) => {
    requests++;
    if (hang) return new Promise(() => {});
    for (const id of spanIdsOf(req.body)) seen.add(id);
    return { status: 200 };
  };
  return { seen, requests: () => requests, release: () => (hang = false) };
}

/** Exports spans through the real OpenTelemetry exporter and fails unless they were accepted. */
export async function sendSpans(receiver: string, spans: ReadableSpan[]): Promise<void> {
  const result = await exportSpans(receiver, spans);
  expect(result.error).toBeUndefined();
}

/** A counter of one pipeline as the admin API's /metrics shows it (`labels` after its pipeline label); 0 before its first sample. */
export async function pipelineMetric(admin: string, pipeline: string, name: string, labels = ''): Promise<number> {
  const text = await (await fetch(`${admin}/metrics`)).text();
  const m = new RegExp(`^${name}\\{pipeline="${pipeline}"${labels}\\} (\\d+)$`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}

export interface ConfiguredGateway {
  gateway: Gateway;
  admin: string;
  receiver: string;
}

/**
 * A gateway as `tributary start --config` builds it from a file: `yaml` under the lines every such
 * test shares (free ports, no Kafka listener, one broker on `dataDir` without fsync; `logKeys`
 * appended to the log block), written to `<configDir>/tributary.yaml`, started.
 */
export async function startFromConfigFile(configDir: string, dataDir: string, yaml: string, logKeys = ''): Promise<ConfiguredGateway> {
  const configFile = join(configDir, 'tributary.yaml');
  writeFileSync(
    configFile,
    `receiver: { endpoint: "127.0.0.1:0", workers: 1 }
admin: { endpoint: "127.0.0.1:0" }
kafka: { listener: "" }
log: { data_dir: ${dataDir}, brokers: 1, fsync: never${logKeys} }
${yaml}`,
  );
  const gateway = createGateway(loadConfig(configFile, {}), { logger: silentLogger });
  await gateway.start();
  return { gateway, admin: `http://127.0.0.1:${gateway.adminAddress().port}`, receiver: `http://127.0.0.1:${gateway.receiverAddress().port}` };
}
