/**
 * Runs on: main thread (tests). A topic deletion interrupted at each of its steps (topic-deletion.ts),
 * one named test per crash point as the storage recovery tests do: the data directory is left as a
 * kill -9 at that point leaves it, and the next start must neither bring back half a topic nor fail.
 * The last test kills a real process part-way through deletions.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/paths.js';
import type { EmbeddedBackend } from '../../src/log/embedded/embedded-backend.js';
import { readAll, textRecords, values } from './conformance.js';
import { startEmbedded, useDataDirs } from './helpers.js';
/** What the fixture writes to each partition of a topic. */
const RECORDS = 40;

const dataDir = useDataDirs();
const FIXTURE = join(import.meta.dirname, 'fixtures', 'delete-until-killed.ts');
const SETTINGS = { brokers: 2, segment_bytes: 1024 };

/** `doomed` (3 partitions of several segments each) and `kept`, with group `readers` committed on both; then a clean stop. */
async function prepare(dir: string): Promise<void> {
  const backend = await startEmbedded(dir, SETTINGS);
  try {
    await backend.createTopic({ name: 'doomed', partitions: 3 });
    await backend.createTopic({ name: 'kept', partitions: 1 });
    for (const partition of [0, 1, 2]) {
      for (let i = 0; i < 4; i++) await backend.produce('doomed', partition, textRecords(Array.from({ length: 10 }, (_, j) => `${partition}-${i}-${j}`.padEnd(80, '.'))));
    }
    await backend.produce('kept', 0, textRecords(['k0', 'k1']));
    await backend.commitOffsets('readers', [
      { topic: 'doomed', partition: 0, offset: 30 },
      { topic: 'kept', partition: 0, offset: 1 },
    ]);
  } finally {
    await backend.shutdown();
  }
}

const metadataPath = (dir: string) => join(dir, 'meta', 'cluster.json');
const readMetadata = (dir: string) => JSON.parse(readFileSync(metadataPath(dir), 'utf8'));

/** What step 1 of a deletion saves: the topic out of the metadata, noted as being deleted. */
function saveDeletionStarted(dir: string, topic: string): void {
  const metadata = readMetadata(dir);
  metadata.deleting = { ...metadata.deleting, [topic]: metadata.topics[topic].partitions.length };
  delete metadata.topics[topic];
  writeFileSync(metadataPath(dir), JSON.stringify(metadata));
}

const partitionDirs = (dir: string, topic: string) => (existsSync(join(dir, 'topics')) ? readdirSync(join(dir, 'topics')).filter((d) => d.startsWith(`${topic}-`)) : []);

/** What every start after an interrupted deletion of `doomed` must show. */
async function expectFinished(dir: string, backend: EmbeddedBackend): Promise<void> {
  expect((await backend.listTopics()).map((t) => t.name)).toEqual(['kept']);
  expect(partitionDirs(dir, 'doomed')).toEqual([]);
  expect(readMetadata(dir).deleting).toBeUndefined();
  expect(await backend.fetchOffsets('readers')).toMatchObject([{ topic: 'kept', partition: 0, offset: 1 }]);
  expect(values(await readAll(backend, 'kept', 0))).toEqual(['k0', 'k1']);
  const again = await backend.createTopic({ name: 'doomed', partitions: 2 });
  expect(again.partitions.map((p) => [p.logStartOffset, p.highWatermark])).toEqual([
    [0, 0],
    [0, 0],
  ]);
  expect((await backend.produce('doomed', 0, textRecords(['fresh']))).baseOffset).toBe(0);
  expect(values(await readAll(backend, 'doomed', 0))).toEqual(['fresh']);
}

async function withBackend(dir: string, check: (backend: EmbeddedBackend) => Promise<void>, options: Parameters<typeof startEmbedded>[2] = {}): Promise<void> {
  const backend = await startEmbedded(dir, SETTINGS, options);
  try {
    await check(backend);
  } finally {
    await backend.shutdown();
  }
}

describe('recovery of a topic deletion interrupted by a crash', () => {
  it('crash while saving the deletion (a half-written metadata file beside the old one): the topic is kept whole', async () => {
    const dir = dataDir();
    await prepare(dir);
    const whole = readFileSync(metadataPath(dir), 'utf8');
    writeFileSync(`${metadataPath(dir)}.tmp`, whole.slice(0, whole.length / 2));
    await withBackend(dir, async (backend) => {
      expect((await backend.listTopics()).map((t) => t.name)).toEqual(['doomed', 'kept']);
      for (const partition of [0, 1, 2]) expect(await readAll(backend, 'doomed', partition)).toHaveLength(40);
      expect((await backend.fetchOffsets('readers')).map((o) => o.topic).sort()).toEqual(['doomed', 'kept']);
      // And it can be deleted now.
      await backend.deleteTopic('doomed');
      await expectFinished(dir, backend);
    });
  });

  it('crash after the deletion was saved, before anything was removed: the next start finishes it', async () => {
    const dir = dataDir();
    await prepare(dir);
    saveDeletionStarted(dir, 'doomed');
    await withBackend(dir, (backend) => expectFinished(dir, backend));
  });

  it('crash part-way through removing the files (one partition directory gone, one without its segments): the next start finishes it', async () => {
    const dir = dataDir();
    await prepare(dir);
    saveDeletionStarted(dir, 'doomed');
    rmSync(join(dir, 'topics', 'doomed-0'), { recursive: true });
    const half = join(dir, 'topics', 'doomed-1');
    for (const file of readdirSync(half).filter((f) => f.endsWith('.log'))) rmSync(join(half, file));
    await withBackend(dir, (backend) => expectFinished(dir, backend));
  });

  it('crash after the files were removed, before the group offsets were forgotten: the next start forgets them', async () => {
    const dir = dataDir();
    await prepare(dir);
    saveDeletionStarted(dir, 'doomed');
    for (const d of partitionDirs(dir, 'doomed')) rmSync(join(dir, 'topics', d), { recursive: true });
    await withBackend(dir, (backend) => expectFinished(dir, backend));
  });

  it('crash after everything but clearing the note: the next start clears it and touches nothing else', async () => {
    const dir = dataDir();
    await prepare(dir);
    await withBackend(dir, (backend) => backend.deleteTopic('doomed'));
    const metadata = readMetadata(dir);
    writeFileSync(metadataPath(dir), JSON.stringify({ ...metadata, deleting: { doomed: 3 } }));
    await withBackend(dir, (backend) => expectFinished(dir, backend));
  });

  it('a configured topic whose deletion a crash interrupted is created again empty at the next start', async () => {
    const dir = dataDir();
    await prepare(dir);
    saveDeletionStarted(dir, 'doomed');
    await withBackend(
      dir,
      async (backend) => {
        expect((await backend.describeTopic('doomed')).partitions.map((p) => p.highWatermark)).toEqual([0, 0, 0]);
        expect(readMetadata(dir).deleting).toBeUndefined();
        expect((await backend.fetchOffsets('readers')).map((o) => o.topic)).toEqual(['kept']);
      },
      { topics: { doomed: { partitions: 3, replication_factor: 1 } } },
    );
  });

  it('a process killed with SIGKILL part-way through deletions starts again with the topic whole or gone, never half', async () => {
    const dir = dataDir();
    // Killed at a different moment after a topic was written each time: before, during and after its deletion.
    for (const [round, delayMs] of [
      [1, 0],
      [2, 4],
      [3, 15],
    ]) {
      const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, dir], { cwd: packageRoot, stdio: ['ignore', 'pipe', 'inherit'] });
      const exited = once(child, 'exit');
      for await (const line of createInterface({ input: child.stdout! })) {
        if (line !== `round ${round} written`) continue;
        setTimeout(() => child.kill('SIGKILL'), delayMs);
        break;
      }
      const [, signal] = await exited;
      expect(signal).toBe('SIGKILL');

      await withBackend(dir, async (backend) => {
        const churn = (await backend.listTopics()).find((t) => t.name === 'churn');
        if (churn) {
          // Whole: every partition reads back from its start without an error.
          for (const p of churn.partitions) {
            expect(p.highWatermark).toBeLessThanOrEqual(RECORDS);
            expect(await readAll(backend, 'churn', p.partition)).toHaveLength(p.highWatermark);
          }
          await backend.deleteTopic('churn');
        }
        // Gone: no directory a new topic of the name would adopt, no offsets a group would resume from.
        expect(partitionDirs(dir, 'churn')).toEqual([]);
        expect(readMetadata(dir).deleting).toBeUndefined();
        expect((await backend.fetchOffsets('churners')).filter((o) => o.topic === 'churn')).toEqual([]);
        expect((await backend.describeTopic('bystander')).partitions).toHaveLength(1);
        await backend.createTopic({ name: 'churn', partitions: 2 });
        expect((await backend.describeTopic('churn')).partitions.map((p) => p.highWatermark)).toEqual([0, 0]);
        await backend.deleteTopic('churn');
      });
    }
  }, 120_000);
});
