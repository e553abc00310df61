// Runs on: main thread of the benchmark process; the gateway it measures runs its own threads.
/**
 * Consumer groups on the embedded engine: records/s a group of 1, 2 and 4 members reads (each
 * member its own poll loop, committing after every poll, from the first join until the group has
 * read every record), and how long a rebalance takes: from a member joining (or leaving) a group
 * of 4 busy members until every member works in the new generation with the partitions split
 * with no gap or overlap. Prints one JSON object on its last line.
 *
 *   npm run bench:groups -- [--records 600000] [--partitions 8] [--rebalances 5] [--dir /tmp]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { configSchema } from '../src/config/schema.js';
import type { Consumer } from '../src/groups/types.js';
import { createEmbeddedBackend, type EmbeddedBackend } from '../src/log/embedded/embedded-backend.js';
import { createLogger, silentLogger } from '../src/telemetry/logger.js';
import { percentile, round, timed } from './lib/stats.js';

const { values: args } = parseArgs({
  options: {
    records: { type: 'string', default: '600000' },
    partitions: { type: 'string', default: '8' },
    rebalances: { type: 'string', default: '5' },
    dir: { type: 'string', default: tmpdir() },
  },
});
const RECORDS = Number(args.records);
const PARTITIONS = Number(args.partitions);
const RECORD_BYTES = 460;
const TOPIC = 'bench';

async function fill(log: EmbeddedBackend): Promise<void> {
  const value = Buffer.alloc(RECORD_BYTES, 'x');
  const perPartition = Math.ceil(RECORDS / PARTITIONS);
  for (let p = 0; p < PARTITIONS; p++) {
    for (let done = 0; done < perPartition; done += 1000) {
      await log.produce(TOPIC, p, Array.from({ length: Math.min(1000, perPartition - done) }, () => ({ value })));
    }
  }
}

/** One poll loop per member until `stop()`; `after` runs after every poll. */
function runLoops(members: Consumer[], after: () => void): { read: () => number; stop: () => Promise<void> } {
  let running = true;
  let read = 0;
  const loops = members.map(async (c) => {
    while (running) {
      // Not `read += await ...`: that reads `read` before the await and loses other loops' counts.
      const records = await c.poll({ maxRecords: 2000, maxWaitMs: 50 });
      read += records.length;
      await c.commit();
      after();
    }
  });
  return {
    read: () => read,
    stop: async () => {
      running = false;
      await Promise.all(loops);
    },
  };
}

function settled(members: Consumer[]): boolean {
  if (new Set(members.map((c) => c.generation)).size !== 1 || members.some((c) => c.assignment().length === 0)) return false;
  const owned = new Set(members.flatMap((c) => c.assignment().map((tp) => tp.partition)));
  return owned.size === PARTITIONS && members.reduce((n, c) => n + c.assignment().length, 0) === PARTITIONS;
}

async function readThroughput(
  log: EmbeddedBackend,
  count: number,
  group = `read-${count}`,
): Promise<{ members: number; seconds: number; recordsPerSec: number; mibPerSec: number }> {
  const members = Array.from({ length: count }, () => log.createConsumer({ group, topics: [TOPIC] }));
  let finished!: () => void;
  const allRead = new Promise<void>((resolve) => {
    finished = resolve;
  });
  let loops: ReturnType<typeof runLoops> | undefined;
  const seconds = await timed(async () => {
    loops = runLoops(members, () => {
      if (loops && loops.read() >= RECORDS) finished();
    });
    await allRead;
  });
  await loops!.stop();
  await Promise.all(members.map((c) => c.close()));
  const recordsPerSec = Math.round(RECORDS / seconds);
  return { members: count, seconds: round(seconds, 3), recordsPerSec, mibPerSec: round((recordsPerSec * RECORD_BYTES) / 1024 ** 2, 1) };
}

/**
 * Rebalance times in a group of 4 busy members: from a member joining (or leaving) until the last
 * member's onPartitionsAssigned of the new, settled generation.
 */
async function rebalanceTimes(log: EmbeddedBackend, rounds: number): Promise<{ joinMs: number[]; leaveMs: number[] }> {
  let members: Consumer[] = [];
  let onAssigned = () => {};
  const member = () => log.createConsumer({ group: 'rebalance', topics: [TOPIC], autoOffsetReset: 'latest', onPartitionsAssigned: () => onAssigned() });
  const measure = async (change: () => Promise<void>): Promise<number> => {
    const before = members[0].generation;
    const start = process.hrtime.bigint();
    const done = new Promise<void>((resolve) => {
      onAssigned = () => {
        if (members.every((c) => c.generation > before) && settled(members)) resolve();
      };
    });
    await change();
    const loops = runLoops(members, () => {});
    await done;
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    await loops.stop();
    return ms;
  };

  members = Array.from({ length: 4 }, member);
  const warm = runLoops(members, () => {});
  while (!settled(members)) await new Promise((resolve) => setTimeout(resolve, 10));
  await warm.stop();
  const joinMs: number[] = [];
  const leaveMs: number[] = [];
  for (let i = 0; i < rounds; i++) {
    joinMs.push(
      await measure(async () => {
        members = [...members, member()];
      }),
    );
    leaveMs.push(
      await measure(async () => {
        const leaving = members[members.length - 1];
        members = members.slice(0, -1);
        await leaving.close();
      }),
    );
  }
  await Promise.all(members.map((c) => c.close()));
  return { joinMs, leaveMs };
}

const dataDir = mkdtempSync(join(args.dir, 'tributary-bench-groups-'));
const config = configSchema.parse({ log: { data_dir: dataDir, brokers: 2, fsync: 'never' } });
const log = createEmbeddedBackend({ log: config.log, groups: config.groups, logger: process.env.BENCH_DEBUG ? createLogger('bench', { level: 'debug' }) : silentLogger });
try {
  await log.start();
  await log.createTopic({ name: TOPIC, partitions: PARTITIONS });
  await fill(log);
  // An untimed first pass, so every measured group reads warm code and a warm page cache.
  await readThroughput(log, 1, 'warmup');
  const read = [];
  for (const count of [1, 2, 4]) {
    const r = await readThroughput(log, count);
    console.error(`group of ${count}: ${r.recordsPerSec} records/s (${r.mibPerSec} MiB/s)`);
    read.push(r);
  }
  const { joinMs, leaveMs } = await rebalanceTimes(log, Number(args.rebalances));
  const summary = (ms: number[]) => ({ p50: round(percentile(ms, 50), 1), max: round(Math.max(...ms), 1) });
  console.error(`rebalance on join: ${summary(joinMs).p50} ms, on leave: ${summary(leaveMs).p50} ms (p50)`);
  console.log(
    JSON.stringify({
      benchmark: 'groups',
      records: RECORDS,
      recordBytes: RECORD_BYTES,
      partitions: PARTITIONS,
      read,
      rebalance: { groupSize: 4, rounds: joinMs.length, joinMs: summary(joinMs), leaveMs: summary(leaveMs) },
    }),
  );
} finally {
  await log.shutdown();
  rmSync(dataDir, { recursive: true, force: true });
}
