import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { FLUSH_BYTES, MessageBatcher } from '../../src/log/embedded/message-batcher.js';

describe('MessageBatcher', () => {
  it('posts the messages of one turn together, after the turn', async () => {
    const posts: number[][] = [];
    const outbox = new MessageBatcher<number>((messages) => posts.push(messages));
    outbox.push(1);
    outbox.push(2, undefined, 1000);
    expect(posts).toEqual([]);
    await nextTurn();
    expect(posts).toEqual([[1, 2]]);
  });

  it('posts at once when the batch bytes gathered reach FLUSH_BYTES, in order, and the rest after the turn', async () => {
    const posts: number[][] = [];
    const outbox = new MessageBatcher<number>((messages) => posts.push(messages));
    outbox.push(1);
    outbox.push(2, undefined, FLUSH_BYTES / 2);
    outbox.push(3, undefined, FLUSH_BYTES / 2);
    // A producer's large batch: the broker gets it while this thread reads the next one.
    expect(posts).toEqual([[1, 2, 3]]);
    outbox.push(4, undefined, FLUSH_BYTES);
    expect(posts).toEqual([[1, 2, 3], [4]]);
    outbox.push(5, undefined, FLUSH_BYTES - 1);
    await nextTurn();
    expect(posts).toEqual([[1, 2, 3], [4], [5]]);
    await nextTurn();
    expect(posts.length).toBe(3);
  });
});
