import { describe, expect, it } from 'vitest';
import { threadPoolWarning } from '../../src/log/embedded/thread-pool.js';

describe('threadPoolWarning', () => {
  it('stays quiet while the pool has a thread beyond one per broker', () => {
    expect(threadPoolWarning({ brokers: 3, fsync: 'interval' }, undefined)).toBeUndefined();
    expect(threadPoolWarning({ brokers: 6, fsync: 'interval' }, '7')).toBeUndefined();
  });

  it('names the setting and the size to give it when the brokers could fill the pool', () => {
    expect(threadPoolWarning({ brokers: 4, fsync: 'interval' }, undefined)).toContain('UV_THREADPOOL_SIZE=5');
    expect(threadPoolWarning({ brokers: 8, fsync: 'interval' }, '8')).toContain('UV_THREADPOOL_SIZE=9');
    expect(threadPoolWarning({ brokers: 4, fsync: 'interval' }, 'many')).toContain('has 4 threads');
  });

  it('has nothing to say when no background syncs run', () => {
    expect(threadPoolWarning({ brokers: 8, fsync: 'always' }, undefined)).toBeUndefined();
    expect(threadPoolWarning({ brokers: 8, fsync: 'never' }, undefined)).toBeUndefined();
  });
});
