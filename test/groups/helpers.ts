import { configSchema } from '../../src/config/schema.js';
import type { GroupCoordinator } from '../../src/groups/coordinator.js';
import type { Consumer, ConsumerOptions } from '../../src/groups/types.js';
import type { LogBackend } from '../../src/log/backend.js';
import type { EmbeddedBackend } from '../../src/log/embedded/embedded-backend.js';
import type { ConsumedRecord } from '../../src/log/types.js';
import { createLogger, silentLogger } from '../../src/telemetry/logger.js';
import { Telemetry } from '../../src/telemetry/telemetry.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { startEmbedded } from '../log/helpers.js';

/** Short timeouts so that expiries happen within a test. */
export const FAST_GROUPS = { session_timeout: 300, heartbeat_interval: 50, rebalance_timeout: 2_000 };

export interface GroupFixture {
  log: EmbeddedBackend;
  /** The engine's coordinator, for tests that speak the membership protocol directly. */
  coordinator: GroupCoordinator;
  telemetry: Telemetry;
  stop(): Promise<void>;
}

/** A real embedded engine in `dataDir`, its groups on short timeouts. */
export async function startGroups(dataDir: string, groups: Record<string, unknown> = {}): Promise<GroupFixture> {
  const telemetry = new Telemetry();
  const logger = process.env.GROUPS_DEBUG ? createLogger('test', { level: 'debug' }) : silentLogger;
  const log = await startEmbedded(dataDir, {}, { telemetry, logger, groups: configSchema.parse({ groups: { ...FAST_GROUPS, ...groups } }).groups });
  return { log, coordinator: log.groupCoordinator, telemetry, stop: () => log.shutdown() };
}

/**
 * One engine for the whole test file, started before its first test and removed after its last;
 * tests keep apart by using `fresh(label)` names for their topics and groups.
 */
export function useSharedGroups(setup: (f: GroupFixture) => Promise<void> = async () => {}): { f: () => GroupFixture; fresh: (label: string) => string } {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-groups-'));
  let fixture: GroupFixture | undefined;
  let n = 0;
  beforeAll(async () => {
    fixture = await startGroups(dir);
    await setup(fixture);
  });
  afterAll(async () => {
    await fixture?.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  return { f: () => fixture!, fresh: (label) => `${label}-${n++}` };
}

/** Appends `count` records to every partition of the topic; values are `<partition>:<i>`. */
export async function fill(log: LogBackend, topic: string, count: number, from = 0): Promise<void> {
  const partitions = log.partitionCount(topic)!;
  for (let p = 0; p < partitions; p++) {
    const records = Array.from({ length: count }, (_, i) => ({ value: Buffer.from(`${p}:${from + i}`) }));
    await log.produce(topic, p, records);
  }
}

export function consumer(f: GroupFixture, options: ConsumerOptions): Consumer {
  return f.log.createConsumer({ autoOffsetReset: 'earliest', ...options });
}

export const partitionsOf = (c: Consumer) => c.assignment().map((tp) => `${tp.topic}-${tp.partition}`);
export const valuesOf = (records: ConsumedRecord[]) => records.map((r) => r.value!.toString());

/**
 * Runs one poll loop per consumer, side by side as separate sink runners would (a rebalance waits
 * for every member to poll again), until `done` holds; returns what each one read. Fails after
 * `rounds` polls of one consumer rather than hang.
 */
export async function pollUntil(
  consumers: Consumer[],
  done: (read: ConsumedRecord[][]) => boolean,
  options: { commit?: boolean; rounds?: number; maxRecords?: number } = {},
): Promise<ConsumedRecord[][]> {
  const read: ConsumedRecord[][] = consumers.map(() => []);
  let finished = done(read);
  await Promise.all(
    consumers.map(async (c, i) => {
      for (let round = 0; !finished && round < (options.rounds ?? 500); round++) {
        read[i].push(...(await c.poll({ maxWaitMs: 20, maxRecords: options.maxRecords ?? 100 })));
        if (options.commit) await c.commit();
        finished ||= done(read);
      }
    }),
  );
  if (!finished) throw new Error('pollUntil: condition not reached');
  return read;
}

/**
 * True when the consumers are in one generation, each owns some partitions, and their assignments
 * are disjoint and together cover all `partitions`.
 */
export function exactCover(consumers: Consumer[], topic: string, partitions: number): boolean {
  if (new Set(consumers.map((c) => c.generation)).size !== 1 || consumers.some((c) => c.assignment().length === 0)) return false;
  const all = consumers.flatMap(partitionsOf).sort();
  const expected = Array.from({ length: partitions }, (_, p) => `${topic}-${p}`).sort();
  return all.length === expected.length && all.every((x, i) => x === expected[i]);
}
