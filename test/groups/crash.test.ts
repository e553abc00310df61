import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import type { CommittedOffset } from '../../src/groups/types.js';
import { useDataDirs } from '../log/helpers.js';
import { consumer, pollUntil, startGroups, valuesOf } from './helpers.js';

const FIXTURE = join(import.meta.dirname, 'fixtures', 'commit-then-hang.ts');

describe('group offsets across kill -9', () => {
  const newDir = useDataDirs();

  it('keeps committed offsets and lag after the process is killed, and a new member resumes there', async () => {
    const dir = newDir();
    const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, dir, 'crash', 'survivors'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = once(child, 'exit');
    const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
    const committed = JSON.parse(line) as CommittedOffset[];
    child.kill('SIGKILL');
    const [, signal] = await exited;
    expect(signal).toBe('SIGKILL');
    expect(committed.reduce((n, o) => n + o.offset, 0)).toBe(15);

    const f = await startGroups(dir);
    try {
      const fetched = await f.log.fetchOffsets('survivors');
      expect(fetched.map(({ topic, partition, offset }) => ({ topic, partition, offset })).sort((a, b) => a.partition - b.partition)).toEqual(
        committed.map(({ topic, partition, offset }) => ({ topic, partition, offset })).sort((a, b) => a.partition - b.partition),
      );
      const d = await f.log.describeGroup('survivors');
      expect(d.state).toBe('Empty');
      expect(d.totalLag).toBe(25);
      const c = consumer(f, { group: 'survivors', topics: ['crash'] });
      const [read] = await pollUntil([c], (r) => r[0].length >= 25);
      await c.close();
      const expected = committed.flatMap(({ partition, offset }) => Array.from({ length: 20 - offset }, (_, i) => `${partition}:${offset + i}`));
      expect(valuesOf(read).sort()).toEqual(expected.sort());
    } finally {
      await f.stop();
    }
  });
});
