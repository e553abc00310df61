import { MessageChannel } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import type { MainThreadCalls } from '../../src/sinks/runtime/sink-worker-protocol.js';
import { Telemetry } from '../../src/telemetry/telemetry.js';
import { ThreadRpc } from '../../src/thread-rpc.js';
import { BrokerReader } from '../../workers/sink/broker-reader.js';
import { expectLogError, textRecords } from './conformance.js';
import { startEmbedded, useDataDirs } from './helpers.js';

describe("a sink worker's reader of the brokers", () => {
  const dataDir = useDataDirs();

  it('does not serve batches it holds once retention deleted their segment', async () => {
    const log = await startEmbedded(dataDir());
    // The reader as a sink worker wires it: its own ports to the brokers, metadata over an RPC channel to the main thread.
    const { port1, port2 } = new MessageChannel();
    new ThreadRpc<object>(port1, { partitionLeaders: (topic: string) => log.partitionLeaders(topic) } satisfies Partial<MainThreadCalls>);
    const reader = new BrokerReader(new ThreadRpc<MainThreadCalls>(port2, {}), new Telemetry());
    const removeReader = log.addReader((brokerId, port, changeCounts) => reader.addPort(brokerId, port, changeCounts));
    try {
      await log.createTopic({ name: 'short', partitions: 1, segmentBytes: 8 * 1024, retentionBytes: 10 * 1024 });
      const value = 'r'.repeat(900);
      for (let i = 0; i < 24; i++) await log.produce('short', 0, textRecords([`${i}:${value}`]));
      const offsetsOf = async (offset: number) => (await reader.fetch({ topic: 'short', partition: 0, offset, maxBytes: 1000 })).records.map((r) => r.offset);
      expect(await offsetsOf(0)).toEqual([0]);
      // The second fetch in order asks the leader for a window and holds what it does not serve (offsets 2 and on).
      expect(await offsetsOf(1)).toEqual([1]);
      await log.enforceRetention();
      const [p] = (await log.describeTopic('short')).partitions;
      expect(p.logStartOffset).toBeGreaterThan(2);
      await expectLogError(reader.fetch({ topic: 'short', partition: 0, offset: 2, maxBytes: 1000 }), 'OFFSET_OUT_OF_RANGE');
    } finally {
      removeReader();
      reader.close();
      port1.close();
      await log.shutdown();
    }
  });
});
