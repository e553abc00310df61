import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { MessageChannel } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { GroupConsumer } from '../../src/groups/consumer.js';
import type { MainThreadCalls, SinkWorkerCalls } from '../../src/sinks/runtime/sink-worker-protocol.js';
import { silentLogger } from '../../src/telemetry/logger.js';
import { ThreadRpc } from '../../src/thread-rpc.js';
import { RemoteGroupProtocol } from '../../workers/sink/remote-group.js';
import { fill, startGroups } from '../groups/helpers.js';
import { useDataDirs } from '../log/helpers.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Collects garbage until `refs` are all gone, or for 5 s (a long poll in flight lets go of its consumer when it ends); how many are still held. */
async function collected(refs: WeakRef<object>[]): Promise<number> {
  for (let round = 0; round < 50; round++) {
    await new Promise((r) => setTimeout(r, 100));
    gc();
    if (refs.every((r) => r.deref() === undefined)) break;
  }
  return refs.filter((r) => r.deref() !== undefined).length;
}

describe("a sink worker's members of groups", () => {
  const dataDir = useDataDirs();

  it('keeps nothing of a member once it left its group, so pipelines created and deleted for weeks do not pile up', async () => {
    const f = await startGroups(dataDir());
    // The membership protocol as a sink worker wires it: an RPC channel to the coordinator on the main thread.
    const { port1, port2 } = new MessageChannel();
    const worker = new ThreadRpc<SinkWorkerCalls>(port1, {
      joinGroup: (request) => f.coordinator.joinGroup({ ...request, onRebalance: () => worker.notify('rebalance', request.group, request.clientId) }),
      heartbeat: (group, memberId, generation) => f.coordinator.heartbeat(group, memberId, generation),
      leaveGroup: (group, memberId) => f.coordinator.leaveGroup(group, memberId),
      commitOffsets: (group, offsets, member) => f.coordinator.commitOffsets(group, offsets, member),
      fetchOffsets: (group, partitions) => f.coordinator.fetchOffsets(group, partitions),
    } satisfies Partial<MainThreadCalls> as MainThreadCalls);
    const remote: { protocol?: RemoteGroupProtocol } = {};
    const protocol = new RemoteGroupProtocol(new ThreadRpc<MainThreadCalls>(port2, { rebalance: (group: string, clientId: string) => remote.protocol?.rebalance(group, clientId) } as Partial<SinkWorkerCalls> as SinkWorkerCalls));
    remote.protocol = protocol;
    try {
      await f.log.createTopic({ name: 't', partitions: 2 });
      await fill(f.log, 't', 3);
      // In a function of its own, whose frame is gone once it returns: a running one keeps its last locals.
      const joinAndLeave = async (i: number): Promise<WeakRef<object>[]> => {
        // What a member holds on to: its sink, batches, buffers (here a stand-in of 1 MiB).
        const held = { buffer: Buffer.alloc(1024 * 1024) };
        const settings = { group: `sub-${i}`, clientId: `sub-${i}-0`, topics: ['t'], autoOffsetReset: 'earliest' as const, sessionTimeoutMs: 3_000, heartbeatIntervalMs: 100, rebalanceTimeoutMs: 2_000, assignor: 'sticky' as const };
        const consumer = new GroupConsumer(protocol, f.log, silentLogger, { ...settings, onPartitionsRevoked: async () => void held.buffer.length });
        expect(await consumer.poll({ maxWaitMs: 2_000 })).not.toHaveLength(0);
        await consumer.close();
        return [new WeakRef(consumer), new WeakRef(held)];
      };
      const left: WeakRef<object>[] = [];
      for (let i = 0; i < 20; i++) left.push(...(await joinAndLeave(i)));
      expect(await collected(left)).toBe(0);
    } finally {
      port1.close();
      await f.stop();
    }
  });
});
