import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { createEmbeddedBackend } from '../../src/log/embedded/embedded-backend.js';
import { Telemetry } from '../../src/telemetry/telemetry.js';
import { expectLogError, readAll, runLogBackendConformance, textRecords, values } from './conformance.js';
import { logConfig, startEmbedded, useDataDirs } from './helpers.js';

const conformanceDir = mkdtempSync(join(tmpdir(), 'tributary-conformance-'));
afterAll(() => rmSync(conformanceDir, { recursive: true, force: true }));
runLogBackendConformance('embedded', () => startEmbedded(conformanceDir, { brokers: 2, max_record_bytes: 256 * 1024 }), { maxRecordBytes: 256 * 1024 });

describe('embedded log backend', () => {
  const dataDir = useDataDirs();

  it('keeps its metadata across a restart', async () => {
    const dir = dataDir();
    const first = await startEmbedded(dir, { brokers: 3 });
    await first.createTopic({ name: 'kept', partitions: 4, retentionMs: 60_000 });
    const before = await first.describeTopic('kept');
    const { clusterId } = await first.cluster();
    await first.shutdown();

    const second = await startEmbedded(dir, { brokers: 3 });
    try {
      expect((await second.cluster()).clusterId).toBe(clusterId);
      const after = await second.describeTopic('kept');
      expect(after.settings).toEqual({ retentionMs: 60_000 });
      expect(after.partitions.map((p) => [p.partition, p.leader, p.leaderEpoch])).toEqual(
        before.partitions.map((p) => [p.partition, p.leader, p.leaderEpoch]),
      );
    } finally {
      await second.shutdown();
    }
  });

  it('keeps acknowledged data across shutdown and restart', async () => {
    const dir = dataDir();
    const first = await startEmbedded(dir);
    await first.createTopic({ name: 'durable', partitions: 2 });
    await first.produce('durable', 0, textRecords(['a', 'b']));
    await first.produce('durable', 1, textRecords(['c']));
    await first.shutdown();
    await expectLogError(first.produce('durable', 0, textRecords(['late'])), 'SHUTTING_DOWN');

    const second = await startEmbedded(dir);
    try {
      expect(values(await readAll(second, 'durable', 0))).toEqual(['a', 'b']);
      expect(values(await readAll(second, 'durable', 1))).toEqual(['c']);
      expect((await second.produce('durable', 0, textRecords(['d']))).baseOffset).toBe(2);
    } finally {
      await second.shutdown();
    }
  });

  it('spreads partitions evenly over the brokers', async () => {
    const backend = await startEmbedded(dataDir(), { brokers: 3 });
    try {
      await backend.createTopic({ name: 'one', partitions: 4 });
      await backend.createTopic({ name: 'two', partitions: 5 });
      const leaders = (await backend.listTopics()).flatMap((t) => t.partitions.map((p) => p.leader));
      const counts = [0, 1, 2].map((b) => leaders.filter((l) => l === b).length);
      expect(counts).toEqual([3, 3, 3]);
      expect((await backend.cluster()).brokers.map((b) => [b.id, b.state, b.partitions])).toEqual([
        [0, 'running', 3],
        [1, 'running', 3],
        [2, 'running', 3],
      ]);
    } finally {
      await backend.shutdown();
    }
  });

  it('creates the configured topics at start, once', async () => {
    const dir = dataDir();
    const topics = { otlp_spans: configSchema.parse({ topics: { otlp_spans: { partitions: 3, retention_ms: '1h' } } }).topics.otlp_spans };
    const first = await startEmbedded(dir, {}, { topics });
    await first.produce('otlp_spans', 2, textRecords(['span']));
    await first.shutdown();
    const second = await startEmbedded(dir, {}, { topics });
    try {
      const info = await second.describeTopic('otlp_spans');
      expect(info.settings).toEqual({ retentionMs: 3_600_000 });
      expect(info.partitions.map((p) => p.highWatermark)).toEqual([0, 0, 1]);
    } finally {
      await second.shutdown();
    }
  });

  it('refuses a replication factor above 1 for now, and malformed records', async () => {
    const backend = await startEmbedded(dataDir());
    try {
      const err = await expectLogError(backend.createTopic({ name: 'replicated', partitions: 1, replicationFactor: 2 }), 'INVALID_TOPIC');
      expect(err.message).toMatch(/replication factor 2/);
      await backend.createTopic({ name: 'strict', partitions: 1 });
      await expectLogError(backend.produce('strict', 0, []), 'INVALID_RECORD');
      await expectLogError(backend.produce('strict', 0, [{ value: 'text' as unknown as Uint8Array }]), 'INVALID_RECORD');
      await expectLogError(backend.fetch({ topic: 'strict', partition: 0, offset: -1 }), 'OFFSET_OUT_OF_RANGE');
    } finally {
      await backend.shutdown();
    }
  });

  it('deletes whole segments past retention', async () => {
    const backend = await startEmbedded(dataDir());
    try {
      await backend.createTopic({ name: 'short', partitions: 1, segmentBytes: 2048, retentionBytes: 4096 });
      const value = 'r'.repeat(900);
      for (let i = 0; i < 12; i++) await backend.produce('short', 0, textRecords([`${i}:${value}`]));
      await backend.enforceRetention();
      const [p] = (await backend.describeTopic('short')).partitions;
      expect(p.highWatermark).toBe(12);
      expect(p.logStartOffset).toBeGreaterThan(0);
      expect(p.sizeBytes).toBeLessThanOrEqual(4096 + 2048);
      await expectLogError(backend.fetch({ topic: 'short', partition: 0, offset: 0 }), 'OFFSET_OUT_OF_RANGE');
      const kept = await readAll(backend, 'short', 0, p.logStartOffset);
      expect(kept[kept.length - 1].value?.toString()).toBe(`11:${value}`);
    } finally {
      await backend.shutdown();
    }
  });

  it("reads a partition's offsets as its leader stored them: each acknowledged append, retention, and across a leader's restart", async () => {
    const backend = await startEmbedded(dataDir(), { brokers: 2 });
    try {
      await backend.createTopic({ name: 'watched', partitions: 2, segmentBytes: 2048, retentionBytes: 4096 });
      expect(backend.partitionOffsets('watched', 1)).toEqual({ logStartOffset: 0, highWatermark: 0 });
      const value = 'w'.repeat(900);
      for (let i = 0; i < 12; i++) {
        const { baseOffset } = await backend.produce('watched', 1, textRecords([`${i}:${value}`, 'x']));
        // Stored before the append is answered: a producer finds its records below it.
        expect(backend.partitionOffsets('watched', 1)?.highWatermark).toBe(baseOffset + 2);
      }
      expect(backend.partitionOffsets('watched', 0)).toEqual({ logStartOffset: 0, highWatermark: 0 });
      await backend.enforceRetention();
      const [, stats] = (await backend.describeTopic('watched')).partitions;
      expect(stats.logStartOffset).toBeGreaterThan(0);
      expect(backend.partitionOffsets('watched', 1)).toEqual({ logStartOffset: stats.logStartOffset, highWatermark: 24 });

      const leader = backend.partitionLeaders('watched')[1];
      await backend.killBroker(leader);
      expect(backend.partitionOffsets('watched', 1)?.highWatermark).toBe(24);
      await backend.brokersReady();
      await backend.produce('watched', 1, textRecords(['after']));
      expect(backend.partitionOffsets('watched', 1)).toEqual({ logStartOffset: stats.logStartOffset, highWatermark: 25 });
      await expectLogError(Promise.resolve().then(() => backend.partitionOffsets('watched', 2)), 'UNKNOWN_PARTITION');
    } finally {
      await backend.shutdown();
    }
  });

  it('counts appends and fetches and reports partition gauges', async () => {
    const telemetry = new Telemetry();
    const backend = await startEmbedded(dataDir(), {}, { telemetry });
    try {
      await backend.createTopic({ name: 'metered', partitions: 2 });
      await backend.produce('metered', 1, textRecords(['a', 'b', 'c']));
      await backend.fetch({ topic: 'metered', partition: 1, offset: 0 });
      const text = await telemetry.metricsText();
      expect(text).toMatch(/tributary_log_append_records_total\{topic="metered"\} 3/);
      expect(text).toMatch(/tributary_log_fetch_records_total\{topic="metered"\} 3/);
      expect(text).toMatch(/tributary_log_partition_high_watermark\{topic="metered",partition="1"\} 3/);
      expect(text).toMatch(/tributary_log_partition_log_start_offset\{topic="metered",partition="1"\} 0/);
      expect(text).toMatch(/tributary_log_partition_size_bytes\{topic="metered",partition="1"\} [1-9]/);
    } finally {
      await backend.shutdown();
    }
  });

  it("drops a deleted topic's series from /metrics, its broker's partition count, and counts a topic created again under its name from 0", async () => {
    const telemetry = new Telemetry();
    const backend = await startEmbedded(dataDir(), {}, { telemetry });
    try {
      await backend.createTopic({ name: 'metered', partitions: 2 });
      await backend.produce('metered', 1, textRecords(['a', 'b', 'c']));
      await backend.fetch({ topic: 'metered', partition: 1, offset: 0 });
      expect(await telemetry.metricsText()).toMatch(/topic="metered"/);
      await backend.deleteTopic('metered');
      expect(await telemetry.metricsText()).not.toMatch(/topic="metered"/);
      expect((await backend.cluster()).brokers[0].partitions).toBe(0);
      expect(await backend.partitionStats()).toEqual([]);
      await backend.createTopic({ name: 'metered', partitions: 1 });
      await backend.produce('metered', 0, textRecords(['x']));
      expect(await telemetry.metricsText()).toMatch(/tributary_log_append_records_total\{topic="metered"\} 1\n/);
    } finally {
      await backend.shutdown();
    }
  });

  it('stops cleanly when shut down while it starts', async () => {
    const backend = createEmbeddedBackend({ log: logConfig(dataDir()) });
    const starting = backend.start();
    await backend.shutdown();
    await expectLogError(starting, 'SHUTTING_DOWN');
    expect((await backend.cluster()).brokers.map((b) => b.state)).toEqual(['stopped']);
  });

  it('refuses a second engine on a data directory in use', async () => {
    const dir = dataDir();
    const first = await startEmbedded(dir);
    try {
      const err = await expectLogError(startEmbedded(dir), 'CONFIG_INVALID');
      expect(err.message).toMatch(/in use/);
    } finally {
      await first.shutdown();
    }
    await (await startEmbedded(dir)).shutdown();
  });

  it('stops every part and releases the data directory even when one part fails to stop', async () => {
    const dir = dataDir();
    const backend = await startEmbedded(dir);
    await backend.createTopic({ name: 'kept', partitions: 1 });
    await backend.produce('kept', 0, textRecords(['a', 'b']));
    const coordinator = backend.groupCoordinator;
    const stopCoordinator = coordinator.shutdown.bind(coordinator);
    vi.spyOn(coordinator, 'shutdown').mockImplementationOnce(async () => {
      await stopCoordinator();
      throw new Error('the offset journal could not be closed');
    });

    const err = await backend.shutdown().then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err?.message).toMatch(/stopping the group coordinator \(the offset journal could not be closed\) failed/);
    expect((await backend.cluster()).brokers.map((b) => b.state)).toEqual(['stopped']);
    // The brokers closed their partitions cleanly and the lock is free: the next engine starts at once.
    const next = await startEmbedded(dir);
    try {
      expect(values(await readAll(next, 'kept', 0))).toEqual(['a', 'b']);
    } finally {
      await next.shutdown();
    }
  });

  it('refuses the kafka backend without its cluster, naming the key', () => {
    const result = configSchema.safeParse({ log: { backend: 'kafka' } });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.path.join('.'))).toContain('log.kafka');
  });
});
