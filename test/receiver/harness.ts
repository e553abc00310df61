import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configSchema } from '../../src/config/schema.js';
import { createGateway, type Gateway as WholeGateway } from '../../src/gateway.js';
import type { EmbeddedBackend } from '../../src/log/embedded/embedded-backend.js';
import type { ConsumedRecord } from '../../src/log/types.js';
import { type Logger, silentLogger } from '../../src/telemetry/logger.js';
import { Telemetry } from '../../src/telemetry/telemetry.js';

export const PARTITIONS = { otlp_spans: 3, otlp_metrics: 2, otlp_logs: 2, otlp_events: 2 };

export interface Gateway {
  /** The whole gateway, as `createGateway` builds it. */
  gateway: WholeGateway;
  backend: EmbeddedBackend;
  telemetry: Telemetry;
  receiverPort: number;
  url(path: string): string;
  adminUrl(path: string): string;
  /** A sample of the admin's /metrics, read over HTTP as Prometheus would; undefined when absent. */
  metric(name: string): Promise<number | undefined>;
  /** Every record of every partition of a topic, in partition then offset order. */
  readTopic(topic: string): Promise<ConsumedRecord[]>;
  /** Shuts the gateway down (if it is not already) and starts a new one on the same config and data directory. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The whole gateway as `createGateway` builds it (receiver, admin, embedded log with one broker),
 * on free ports and a temporary data directory, its ingest workers loaded: tests time requests
 * (request_timeout), and none should include a worker's start.
 */
export async function startGateway(
  receiverOverrides: Record<string, unknown> = {},
  logOverrides: Record<string, unknown> = {},
  options: { logger?: Logger } = {},
): Promise<Gateway> {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-receiver-'));
  const config = configSchema.parse({
    receiver: { endpoint: '127.0.0.1:0', workers: 1, ...receiverOverrides },
    admin: { endpoint: '127.0.0.1:0' },
    kafka: { listener: '' },
    log: { data_dir: dir, brokers: 1, fsync: 'never', ...logOverrides },
    topics: Object.fromEntries(Object.entries(PARTITIONS).map(([name, partitions]) => [name, { partitions }])),
  });
  const start = async () => {
    const telemetry = new Telemetry();
    const gateway = createGateway(config, { logger: options.logger ?? silentLogger, telemetry });
    await gateway.start();
    await gateway.warmedUp();
    return { gateway, telemetry, backend: gateway.backend as EmbeddedBackend, receiverPort: gateway.receiverAddress().port };
  };
  const adminUrl = (path: string) => `http://127.0.0.1:${handle.gateway.adminAddress().port}${path}`;
  const handle: Gateway = {
    ...(await start()),
    url: (path) => `http://127.0.0.1:${handle.receiverPort}${path}`,
    adminUrl,
    async metric(name) {
      const text = await (await fetch(adminUrl('/metrics'))).text();
      const line = text.split('\n').find((l) => l.startsWith(`${name} `));
      return line === undefined ? undefined : Number(line.slice(name.length + 1));
    },
    async readTopic(topic) {
      const { backend } = handle;
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
    async restart() {
      await handle.gateway.shutdown();
      Object.assign(handle, await start());
    },
    async close() {
      await handle.gateway.shutdown();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return handle;
}
