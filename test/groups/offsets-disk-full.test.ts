import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { OffsetStore } from '../../src/groups/offset-store.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { canMountSmallDisk, fillDisk, mountSmallDisk, type SmallDisk } from '../small-disk.js';

/** A small tmpfs, mounted for these tests: a disk that really fills up. */
const canMount = canMountSmallDisk();

let smallDisk: SmallDisk | undefined;
let stores = 0;
beforeAll(() => {
  if (canMount) smallDisk = mountSmallDisk('256k');
});
afterAll(() => smallDisk?.unmount());

const filler = () => join(smallDisk!.path, 'filler');
afterEach(() => rmSync(filler(), { force: true }));

/** A store in a fresh directory on the small disk, and the lines it logged. */
function newStore(snapshotEveryBytes?: number): { store: OffsetStore; dir: string; logged: string[] } {
  const dir = join(smallDisk!.path, `groups-${stores++}`);
  const logged: string[] = [];
  const logger = createLogger('test', { level: 'warn', write: (line) => logged.push(line) });
  return { store: new OffsetStore({ dir, logger, snapshotEveryBytes }), dir, logged };
}

async function reopened(dir: string): Promise<Map<number, number>> {
  const store = new OffsetStore({ dir, logger: createLogger('test', { level: 'silent' }) });
  await store.open();
  const offsets = new Map(store.fetch('g').map((o) => [o.partition, o.offset]));
  await store.close();
  return offsets;
}

async function until(check: () => boolean): Promise<void> {
  for (const deadline = Date.now() + 5_000; !check(); ) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${check}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe.runIf(canMount)('committed offsets on a full disk (a real ENOSPC on a tmpfs)', () => {
  it('a commit the journal has no room for fails retriably naming ENOSPC, leaves no torn line, and commits go through once there is room', async () => {
    const { store, dir } = newStore();
    await store.open();
    await store.commit('g', [{ topic: 't', partition: 0, offset: 1 }]);
    fillDisk(filler(), 512);

    // Past the page the journal's first line is in: the write needs a block the disk does not have.
    const big = Array.from({ length: 60 }, (_, p) => ({ topic: 't', partition: p, offset: 10, metadata: 'm'.repeat(100) }));
    const failed = await store.commit('g', big).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(failed).toMatchObject({ retriable: true });
    expect((failed as Error).message).toMatch(/ENOSPC.*the disk is full/);
    expect(store.fetch('g').map((o) => o.offset)).toEqual([1]);

    rmSync(filler());
    await store.commit('g', big);
    await store.close();
    const offsets = await reopened(dir);
    expect(offsets.size).toBe(60);
    expect([...offsets.values()].every((o) => o === 10)).toBe(true);
    // Every line of the journal is whole: nothing of the failed write is left in it.
    const lines = readFileSync(join(dir, 'offsets.journal'), 'utf8').split('\n');
    expect(lines.pop()).toBe('');
    expect(lines).toHaveLength(61);
  });

  it('a snapshot the disk has no room for is logged and given up, the process stays up, commits stay durable, and the next snapshot is taken once there is room', async () => {
    const { store, dir, logged } = newStore(2_000);
    await store.open();
    for (let i = 0; i < 10; i++) await store.commit('g', [{ topic: 't', partition: i, offset: i }]);
    fillDisk(filler(), 512);

    // These fit in the journal's page, and take it past 2000 bytes: a snapshot is due, and cannot be written.
    for (let i = 10; i < 45; i++) await store.commit('g', [{ topic: 't', partition: i, offset: i }]);
    // The snapshot is attempted after the commit that made it due has been answered.
    await until(() => /offset snapshot .*ENOSPC/.test(logged.join('\n')));
    await until(() => readdirSync(dir).length === 1);
    expect(readdirSync(dir)).toEqual(['offsets.journal']);

    rmSync(filler());
    await store.commit('g', [{ topic: 't', partition: 45, offset: 45 }]);
    await until(() => readdirSync(dir).includes('offsets.snapshot'));
    await store.close();
    const offsets = await reopened(dir);
    expect(offsets.size).toBe(46);
    for (const [p, o] of offsets) expect(o).toBe(p);
  });
});
