import { describe, expect, it } from 'vitest';
import { textRecords, values } from './conformance.js';
import { startEmbedded, useDataDirs } from './helpers.js';

const dataDir = useDataDirs();

describe('a long poll with a linger (embedded log)', () => {
  it('answers with the records that arrived while it lingered, not just the first', async () => {
    const backend = await startEmbedded(dataDir());
    try {
      await backend.createTopic({ name: 'gathered', partitions: 1 });
      const waiting = backend.fetch({ topic: 'gathered', partition: 0, offset: 0, maxWaitMs: 30_000, lingerMs: 2_000 });
      // The fetch is posted to the broker on the next turn of the event loop; the produces follow it on the same port.
      await new Promise((resolve) => setTimeout(resolve, 20));
      await backend.produce('gathered', 0, textRecords(['first']));
      await backend.produce('gathered', 0, textRecords(['second']));
      await backend.produce('gathered', 0, textRecords(['third']));
      expect(values((await waiting).records)).toEqual(['first', 'second', 'third']);
    } finally {
      await backend.shutdown();
    }
  });

  it('answers at once, without lingering, when the bytes it may return have arrived', async () => {
    const backend = await startEmbedded(dataDir());
    try {
      await backend.createTopic({ name: 'full', partitions: 1 });
      const started = Date.now();
      const waiting = backend.fetch({ topic: 'full', partition: 0, offset: 0, maxBytes: 100, maxWaitMs: 60_000, lingerMs: 30_000 });
      await new Promise((resolve) => setTimeout(resolve, 20));
      await backend.produce('full', 0, textRecords(['x'.repeat(200)]));
      expect((await waiting).records).toHaveLength(1);
      expect(Date.now() - started).toBeLessThan(20_000);
    } finally {
      await backend.shutdown();
    }
  });

  it('refuses a negative linger', async () => {
    const backend = await startEmbedded(dataDir());
    try {
      await backend.createTopic({ name: 'checked', partitions: 1 });
      await expect(backend.fetch({ topic: 'checked', partition: 0, offset: 0, lingerMs: -1 })).rejects.toMatchObject({ code: 'INVALID_REQUEST', message: expect.stringMatching(/lingerMs/) });
    } finally {
      await backend.shutdown();
    }
  });
});
