import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/paths.js';
import { Telemetry } from '../../src/telemetry/telemetry.js';
import { expectLogError, readAll, textRecords, values } from './conformance.js';
import { startEmbedded, useDataDirs } from './helpers.js';

const dataDir = useDataDirs();
const fixture = fileURLToPath(new URL('./fixtures/produce-until-killed.ts', import.meta.url));

describe('embedded log faults', () => {
  it('fails calls waiting on a dead broker thread with a retriable error, restarts it, and keeps its data', async () => {
    const telemetry = new Telemetry();
    const backend = await startEmbedded(dataDir(), { brokers: 2 }, { telemetry });
    try {
      await backend.createTopic({ name: 'fragile', partitions: 2 });
      const [p0, p1] = (await backend.describeTopic('fragile')).partitions;
      expect([p0.leader, p1.leader]).toEqual([0, 1]);
      await backend.produce('fragile', 0, textRecords(['a', 'b']));

      const parked = backend.fetch({ topic: 'fragile', partition: 0, offset: 2, maxWaitMs: 20_000 });
      await backend.killBroker(0);
      const err = await expectLogError(parked, 'BROKER_UNAVAILABLE');
      expect(err.retriable).toBe(true);
      expect((await expectLogError(backend.produce('fragile', 0, textRecords(['c'])), 'BROKER_UNAVAILABLE')).retriable).toBe(true);
      // The other broker serves on.
      expect((await backend.produce('fragile', 1, textRecords(['x']))).baseOffset).toBe(0);

      await backend.brokersReady();
      expect(values(await readAll(backend, 'fragile', 0))).toEqual(['a', 'b']);
      expect((await backend.produce('fragile', 0, textRecords(['c']))).baseOffset).toBe(2);
      const broker0 = (await backend.cluster()).brokers[0];
      expect(broker0).toMatchObject({ state: 'running', restarts: 1 });
      expect(await telemetry.metricsText()).toMatch(/tributary_log_broker_restarts_total\{broker="0"\} 1/);
    } finally {
      await backend.shutdown();
    }
  });

  it('removes a new topic whose partitions did not all open, files and metadata, and creates it once the way is clear', async () => {
    const dir = dataDir();
    const telemetry = new Telemetry();
    const backend = await startEmbedded(dir, { brokers: 1 }, { telemetry });
    try {
      // A file where partition 2's directory goes: partitions 0 and 1 open, 2 cannot.
      mkdirSync(join(dir, 'topics'), { recursive: true });
      writeFileSync(join(dir, 'topics', 'half-2'), 'in the way');
      await expect(backend.createTopic({ name: 'half', partitions: 3 })).rejects.toThrow();

      expect((await backend.listTopics()).map((t) => t.name)).not.toContain('half');
      expect(() => backend.partitionOffsets('half', 0)).toThrow(/does not exist/);
      expect((await backend.partitionStats()).filter((s) => s.topic === 'half')).toEqual([]);
      expect(await telemetry.metricsText()).not.toMatch(/topic="half"/);

      rmSync(join(dir, 'topics', 'half-2'), { force: true });
      const created = await backend.createTopic({ name: 'half', partitions: 3 });
      expect(created.partitions.map((p) => p.highWatermark)).toEqual([0, 0, 0]);
      expect((await backend.produce('half', 2, textRecords(['x']))).baseOffset).toBe(0);
    } finally {
      await backend.shutdown();
    }
  });

  it('keeps the records of a topic whose metadata was lost when one of its partitions cannot be opened again', async () => {
    const dir = dataDir();
    const first = await startEmbedded(dir, { brokers: 1 });
    try {
      await first.createTopic({ name: 'kept', partitions: 2 });
      await first.produce('kept', 0, textRecords(['a', 'b']));
      await first.produce('kept', 1, textRecords(['c']));
    } finally {
      await first.shutdown();
    }
    // cluster.json deleted (as after it was damaged), and junk where a segment of partition 1 goes.
    rmSync(join(dir, 'meta', 'cluster.json'));
    const junk = join(dir, 'topics', 'kept-1', '00000000000000000099.log');
    mkdirSync(junk);

    const backend = await startEmbedded(dir, { brokers: 1 });
    try {
      await expect(backend.createTopic({ name: 'kept', partitions: 2 })).rejects.toThrow(/EISDIR/);
      rmSync(junk, { recursive: true });
      await backend.createTopic({ name: 'kept', partitions: 2 });
      expect(values(await readAll(backend, 'kept', 0))).toEqual(['a', 'b']);
      expect(values(await readAll(backend, 'kept', 1))).toEqual(['c']);
    } finally {
      await backend.shutdown();
    }
  });

  it('keeps every acknowledged record when the process is killed with SIGKILL', async () => {
    const dir = dataDir();
    const child = spawn(process.execPath, ['--import', 'tsx', fixture, dir], { cwd: packageRoot, stdio: ['ignore', 'pipe', 'inherit'] });
    const acked: { partition: number; baseOffset: number; count: number; tag: string }[] = [];
    let pending = '';
    child.stdout.on('data', (chunk: Buffer) => {
      const lines = (pending + chunk.toString()).split('\n');
      pending = lines.pop()!;
      for (const line of lines) {
        const [partition, baseOffset, count, tag] = line.split(' ');
        acked.push({ partition: Number(partition), baseOffset: Number(baseOffset), count: Number(count), tag });
      }
      if (acked.length >= 400) child.kill('SIGKILL');
    });
    const [code, signal] = await once(child, 'exit');
    expect({ code, signal }).toEqual({ code: null, signal: 'SIGKILL' });
    expect(acked.length).toBeGreaterThanOrEqual(400);

    const backend = await startEmbedded(dir);
    try {
      const byPartition = [await readAll(backend, 'crash', 0), await readAll(backend, 'crash', 1)];
      for (const records of byPartition) expect(records.map((r) => r.offset)).toEqual(records.map((_, i) => i));
      for (const { partition, baseOffset, count, tag } of acked) {
        const batch = byPartition[partition].slice(baseOffset, baseOffset + count);
        expect(values(batch)).toEqual(Array.from({ length: count }, (_, i) => `${tag}-${i}`));
      }
    } finally {
      await backend.shutdown();
    }
  });
});
