import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { configSchema } from '../../src/config/schema.js';
import { createGateway, type Gateway as WholeGateway } from '../../src/gateway.js';
import { createEmbeddedBackend, type EmbeddedBackend } from '../../src/log/embedded/embedded-backend.js';
import type { ConsumedRecord } from '../../src/log/types.js';
import { createReceiver, type Receiver } from '../../src/receiver/receiver.js';
import { silentLogger } from '../../src/telemetry/logger.js';
import { Telemetry } from '../../src/telemetry/telemetry.js';
import { makeSpans } from '../otlp/fixtures.js';

export const PARTITIONS = { otlp_spans: 3, otlp_metrics: 2, otlp_logs: 2, otlp_events: 2 };

export interface Gateway {
  backend: EmbeddedBackend;
  receiver: Receiver;
  telemetry: Telemetry;
  url(path: string): string;
  /** Every record of every partition of a topic, in partition then offset order. */
  readTopic(topic: string): Promise<ConsumedRecord[]>;
  close(): Promise<void>;
}

/** A real embedded log in a temp dir and a receiver on a free port in front of it. */
export async function startGateway(receiverOverrides: Record<string, unknown> = {}, logOverrides: Record<string, unknown> = {}): Promise<Gateway> {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-receiver-'));
  const config = configSchema.parse({
    receiver: { endpoint: '127.0.0.1:0', workers: 1, ...receiverOverrides },
    log: { data_dir: dir, brokers: 1, fsync: 'never', ...logOverrides },
    topics: Object.fromEntries(Object.entries(PARTITIONS).map(([name, partitions]) => [name, { partitions }])),
  });
  const telemetry = new Telemetry();
  const backend = createEmbeddedBackend({ log: config.log, topics: config.topics, telemetry, logger: silentLogger });
  await backend.start();
  // As the gateway wires it: batches kept under the log's limit.
  const receiver = createReceiver({ config: config.receiver, backend, telemetry, logger: silentLogger, maxBatchBytes: config.log.max_record_bytes });
  await receiver.start();
  // Tests time requests (request_timeout); none should include a worker's boot.
  await receiver.warm();
  const { port } = receiver.address();
  return {
    backend,
    receiver,
    telemetry,
    url: (path) => `http://127.0.0.1:${port}${path}`,
    async readTopic(topic) {
      const records: ConsumedRecord[] = [];
      for (let partition = 0; partition < backend.partitionCount(topic)!; partition++) {
        let offset = 0;
        for (;;) {
          const result = await backend.fetch({ topic, partition, offset });
          records.push(...result.records);
          if (result.nextOffset >= result.highWatermark) break;
          offset = result.nextOffset;
        }
      }
      return records;
    },
    async close() {
      await receiver.shutdown();
      await backend.shutdown().catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface ServedGateway {
  gateway: WholeGateway;
  receiverPort: number;
  url(path: string): string;
  adminUrl(path: string): string;
  /** A sample of the admin's /metrics, read over HTTP as Prometheus would; undefined when absent. */
  metric(name: string): Promise<number | undefined>;
  close(): Promise<void>;
}

/** The whole gateway as `createGateway` builds it (receiver, admin, embedded log), on free ports. */
export async function startServedGateway(receiverOverrides: Record<string, unknown> = {}): Promise<ServedGateway> {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-receiver-'));
  const config = configSchema.parse({
    receiver: { endpoint: '127.0.0.1:0', workers: 1, ...receiverOverrides },
    admin: { endpoint: '127.0.0.1:0' },
    kafka: { listener: '' },
    log: { data_dir: dir, brokers: 1, fsync: 'never' },
    topics: Object.fromEntries(Object.entries(PARTITIONS).map(([name, partitions]) => [name, { partitions }])),
  });
  const gateway = createGateway(config, { logger: silentLogger, telemetry: new Telemetry() });
  await gateway.start();
  const receiverPort = gateway.receiverAddress().port;
  const adminPort = gateway.adminAddress().port;
  const adminUrl = (path: string) => `http://127.0.0.1:${adminPort}${path}`;
  // Tests time requests (request_timeout); none should include an ingest worker's boot, so the
  // first requests, until one is stored, are for warming up.
  const warmUp = ProtobufTraceSerializer.serializeRequest(makeSpans({ traces: 1, spansPerTrace: 1 }))!;
  for (let attempt = 1; ; attempt++) {
    const res = await fetch(`http://127.0.0.1:${receiverPort}/v1/traces`, { method: 'POST', body: warmUp, headers: { 'content-type': 'application/x-protobuf' } });
    await res.arrayBuffer();
    if (res.status === 200) break;
    if (attempt === 50) throw new Error(`the receiver answers ${res.status} to a valid request`);
  }
  return {
    gateway,
    receiverPort,
    url: (path) => `http://127.0.0.1:${receiverPort}${path}`,
    adminUrl,
    async metric(name) {
      const text = await (await fetch(adminUrl('/metrics'))).text();
      const line = text.split('\n').find((l) => l.startsWith(`${name} `));
      return line === undefined ? undefined : Number(line.slice(name.length + 1));
    },
    async close() {
      await gateway.shutdown();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
