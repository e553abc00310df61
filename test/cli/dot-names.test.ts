import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tributary } from '../e2e/cli-process.js';
import { startSubscriptionGateway, type SubscriptionGateway } from '../subscriptions/helpers.js';

describe('the CLI given "." or ".." for a name', () => {
  let gw: SubscriptionGateway;
  beforeAll(async () => {
    gw = await startSubscriptionGateway();
  });
  afterAll(() => gw?.close());

  // A URL reads them as "this" and "the parent" path: sent as they are, each call would reach another route.
  it('refuses it as an invalid name, exit code 2, for every command that puts a name in a path', async () => {
    const calls = [
      ['topics', 'describe', '.'],
      ['topics', 'alter', '..', '--retention-ms', '1000'],
      ['tail', '..', '--once'],
      ['groups', 'describe', '..'],
      ['groups', 'reset-offsets', '.', '--to', 'earliest'],
      ['pipelines', 'describe', '.'],
      ['pipelines', 'delete', '..'],
    ];
    for (const args of calls) {
      const name = args[0] === 'tail' ? args[1] : args[2];
      const what = args[0] === 'topics' || args[0] === 'tail' ? 'topic' : 'group';
      const result = await tributary([...args, '--admin', gw.admin]);
      expect([args.join(' '), result.code, result.stderr.trim()]).toEqual([args.join(' '), 2, expect.stringContaining(`invalid ${what} name "${name}"`)]);
    }
  }, 120_000);
});
