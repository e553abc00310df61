// Runs on: main thread.
import { Hono } from 'hono';
import { z } from 'zod';
import { NAME_PATTERN } from '../../config/schema.js';
import type { GroupApi, OffsetResetTarget } from '../../groups/types.js';
import { errorResponse } from '../error-response.js';
import { groupNameParam, parseBody } from '../validate.js';

const timestamp = z.union([z.number().int().nonnegative(), z.iso.datetime({ offset: true }).transform((s) => Date.parse(s))], {
  error: 'expected milliseconds since the epoch or an ISO-8601 time such as "2026-12-04T00:00:00Z"',
});
/** Absent: every topic the group committed. An empty list would reset nothing, so it is refused. */
const topics = z
  .array(z.string().regex(NAME_PATTERN, { error: 'expected 1-249 characters of a-z, A-Z, 0-9, ".", "_", "-"' }))
  .min(1, { error: 'expected at least one topic; leave the key out for every topic the group committed' })
  .optional();

/** `{ "to": "earliest" | "latest" }`, `{ "to": "timestamp", "timestamp": ms | ISO-8601 }`, `{ "to": "offset", "offset": n }`. */
const resetBody = z.discriminatedUnion('to', [
  z.strictObject({ to: z.literal('earliest'), topics }),
  z.strictObject({ to: z.literal('latest'), topics }),
  z.strictObject({ to: z.literal('timestamp'), timestamp, topics }),
  z.strictObject({ to: z.literal('offset'), offset: z.number().int().nonnegative(), topics }),
]);

function targetOf(body: z.infer<typeof resetBody>): OffsetResetTarget {
  switch (body.to) {
    case 'timestamp':
      return { type: 'timestamp', timestamp: body.timestamp };
    case 'offset':
      return { type: 'offset', offset: body.offset };
    default:
      return { type: body.to };
  }
}

export function groupRoutes(groups: GroupApi): Hono {
  const app = new Hono();
  app.onError((err, c) => errorResponse(c, err));

  app.get('/', async (c) => c.json({ groups: await groups.listGroups() }));

  app.get('/:group', async (c) => c.json(await groups.describeGroup(groupNameParam(c.req.param('group')))));

  app.post('/:group/offsets', async (c) => {
    const group = groupNameParam(c.req.param('group'));
    const body = await parseBody(c, resetBody);
    const offsets = await groups.resetOffsets(group, targetOf(body), body.topics);
    return c.json({ group, offsets });
  });

  return app;
}
