import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { prespawnWorkerThreads } from '../../src/spawn-worker.js';
import { readAll, textRecords, values } from './conformance.js';
import { startEmbedded, useDataDirs } from './helpers.js';

describe('prespawned broker threads', () => {
  const dataDir = useDataDirs();

  it('serve as brokers once handed their data, and a restarted broker gets a fresh thread', async () => {
    prespawnWorkerThreads('broker', 2);
    // Long enough for the threads to be loaded and waiting for their first message.
    await sleep(1500);
    const backend = await startEmbedded(dataDir(), { brokers: 2 });
    try {
      await backend.createTopic({ name: 'early', partitions: 2 });
      await backend.produce('early', 0, textRecords(['a', 'b']));
      await backend.produce('early', 1, textRecords(['c']));
      await backend.killBroker(0);
      await backend.brokersReady();
      expect(values(await readAll(backend, 'early', 0))).toEqual(['a', 'b']);
      expect(values(await readAll(backend, 'early', 1))).toEqual(['c']);
    } finally {
      await backend.shutdown();
    }
  });
});
