// Runs on: main thread.
import { Hono } from 'hono';
import { z } from 'zod';
import type { Subscriptions } from '../../subscriptions/subscriptions.js';
import { errorResponse } from '../error-response.js';
import { groupNameParam, parseQuery, readJson } from '../validate.js';

const deleteQuery = z.strictObject({
  offsets: z.enum(['keep', 'delete'], { error: 'expected "keep" (the default) or "delete"' }).default('keep'),
});

/** The pipelines API: subscriptions created, listed, paused, resumed and deleted at run time (docs/admin-api.md). */
export function pipelineRoutes(subscriptions: Subscriptions): Hono {
  const app = new Hono();
  app.onError((err, c) => errorResponse(c, err));

  app.get('/', async (c) => c.json({ pipelines: await subscriptions.list() }));

  app.post('/', async (c) => c.json(await subscriptions.create(await readJson(c)), 201));

  app.get('/:group', async (c) => c.json(await subscriptions.get(groupNameParam(c.req.param('group')))));

  app.delete('/:group', async (c) => {
    const group = groupNameParam(c.req.param('group'));
    const { offsets } = parseQuery(c, deleteQuery);
    return c.json(await subscriptions.delete(group, offsets === 'delete'));
  });

  app.post('/:group/pause', async (c) => c.json(await subscriptions.pause(groupNameParam(c.req.param('group')))));
  app.post('/:group/resume', async (c) => c.json(await subscriptions.resume(groupNameParam(c.req.param('group')))));

  return app;
}
