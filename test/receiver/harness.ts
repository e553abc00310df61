import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configSchema } from '../../src/config/schema.js';
import { createEmbeddedBackend, type EmbeddedBackend } from '../../src/log/embedded/embedded-backend.js';
import type { ConsumedRecord } from '../../src/log/types.js';
import { createReceiver, type Receiver } from '../../src/receiver/receiver.js';
import { silentLogger } from '../../src/telemetry/logger.js';
import { Telemetry } from '../../src/telemetry/telemetry.js';

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
