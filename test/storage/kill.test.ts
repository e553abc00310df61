import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { PartitionLog } from '../../workers/broker/partition-log.js';
import { batchOf, expectedValues, logOptions, readAll, useTempDirs } from './helpers.js';

const tempDir = useTempDirs();
const fixture = fileURLToPath(new URL('./fixtures/append-until-killed.ts', import.meta.url));

describe('a process killed with SIGKILL while appending', () => {
  it('loses nothing it acknowledged, and the log keeps counting', async () => {
    const dir = tempDir();
    const child = spawn(process.execPath, ['--import', 'tsx', fixture, dir], { stdio: ['ignore', 'pipe', 'inherit'] });
    let acknowledged = 0;
    let pending = '';
    child.stdout.on('data', (chunk: Buffer) => {
      const lines = (pending + chunk.toString()).split('\n');
      pending = lines.pop()!;
      if (lines.length > 0) acknowledged = Number(lines[lines.length - 1]);
      // Past a few segments, kill it mid-stream.
      if (acknowledged >= 3000) child.kill('SIGKILL');
    });
    const [code, signal] = await once(child, 'exit');
    expect({ code, signal }).toEqual({ code: null, signal: 'SIGKILL' });
    expect(acknowledged).toBeGreaterThanOrEqual(3000);

    const log = PartitionLog.open(logOptions(dir));
    expect(log.recovery.clean).toBe(false);
    expect(log.highWatermark).toBeGreaterThanOrEqual(acknowledged);
    expect(readAll(log)).toEqual(expectedValues(0, log.highWatermark));
    const end = log.highWatermark;
    expect(log.append(batchOf(1, end), 0).baseOffset).toBe(end);
    log.close();
  });
});
