import { describe, expect, it } from 'vitest';
import { createIngestPool, type IngestPool } from '../../src/receiver/ingest-pool.js';
import { capability } from '../capability.js';
import { withDescriptorsLeftWhile } from '../fd-limit.js';

const canLimit = process.platform === 'linux' && capability("changing a process's open-file limit", ['prlimit', '--pid', String(process.pid), '--nofile']);

async function waitFor(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe.runIf(canLimit)('the ingest worker pool with no file descriptors left', () => {
  it('reports a worker that cannot start instead of ending the process, and serves once descriptors are free', async () => {
    const errors: Error[] = [];
    let pool: IngestPool | undefined;
    await withDescriptorsLeftWhile(0, async () => {
      pool = createIngestPool(1, (err) => errors.push(err));
      await waitFor('the worker to fail', () => errors.length > 0);
    });
    expect(errors[0].message).toMatch(/EMFILE/);
    // The next job starts a new worker, now that it can.
    await pool!.warmUp();
    await pool!.close();
  });
});
