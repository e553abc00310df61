/**
 * Runs on: main thread (tests). `DELETE /api/v1/topics/{topic}` on a gateway from the real factory:
 * a topic goes with its records and its groups' offsets, and comes back empty when created again;
 * the topics the gateway uses itself are refused with 409 and a code naming why.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EmbeddedBackend } from '../../src/log/embedded/embedded-backend.js';
import { api, type SubscriptionGateway, startSubscriptionGateway } from '../subscriptions/helpers.js';

type ErrorBody = { error: { code: string; message: string } };

describe('DELETE /api/v1/topics/{topic}', () => {
  let gw: SubscriptionGateway;
  beforeAll(async () => {
    gw = await startSubscriptionGateway({
      topics: { otlp_spans: { partitions: 1 }, audit: { partitions: 1 } },
      pipelines: [{ group: 'auditors', topics: ['audit'], sink: { type: 'debug' }, dead_letter: { topic: 'audit-rejects' } }],
    });
  });
  afterAll(async () => {
    await gw?.close();
  });
  const backend = () => gw.gateway.backend as EmbeddedBackend;

  it('deletes a topic with its records and offsets; created again, it starts empty at offset 0', async () => {
    expect((await api(gw.admin, 'POST', '/api/v1/topics', { name: 'scratch', partitions: 2 })).status).toBe(201);
    await backend().produce('scratch', 1, [{ value: Buffer.from('old') }, { value: Buffer.from('older') }]);
    await backend().commitOffsets('scratch-readers', [{ topic: 'scratch', partition: 1, offset: 2 }]);

    const deleted = await api(gw.admin, 'DELETE', '/api/v1/topics/scratch');
    expect(deleted).toEqual({ status: 200, body: { topic: 'scratch', deleted: true } });
    const names = (await api<{ topics: { name: string }[] }>(gw.admin, 'GET', '/api/v1/topics')).body.topics.map((t) => t.name);
    expect(names).not.toContain('scratch');
    expect((await api<ErrorBody>(gw.admin, 'GET', '/api/v1/topics/scratch/records')).body.error.code).toBe('UNKNOWN_TOPIC');
    expect((await api(gw.admin, 'GET', '/api/v1/groups/scratch-readers')).status).toBe(404);

    const again = await api<{ partitions: { highWatermark: number }[] }>(gw.admin, 'POST', '/api/v1/topics', { name: 'scratch', partitions: 1 });
    expect(again.status).toBe(201);
    expect(again.body.partitions.map((p) => p.highWatermark)).toEqual([0]);
    expect((await backend().produce('scratch', 0, [{ value: Buffer.from('new') }])).baseOffset).toBe(0);
    const records = await api<{ records: { offset: number; value: string }[] }>(gw.admin, 'GET', '/api/v1/topics/scratch/records');
    expect(records.body.records.map((r) => [r.offset, Buffer.from(r.value, 'base64').toString()])).toEqual([[0, 'new']]);
  });

  it('answers 404 for an unknown topic and 400 for a bad name', async () => {
    const unknown = await api<ErrorBody>(gw.admin, 'DELETE', '/api/v1/topics/nope');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toMatchObject({ code: 'UNKNOWN_TOPIC', message: 'topic "nope" does not exist' });
    const bad = await api<ErrorBody>(gw.admin, 'DELETE', '/api/v1/topics/bad%20name');
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('INVALID_TOPIC');
  });

  it("refuses the receiver's topics with 409 RECEIVER_TOPIC, naming the signal and the config key", async () => {
    const refused = await api<ErrorBody>(gw.admin, 'DELETE', '/api/v1/topics/otlp_spans');
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({ code: 'RECEIVER_TOPIC', message: expect.stringContaining('receiver.topics.traces') });
    expect(backend().partitionCount('otlp_spans')).toBe(1);
  });

  it('refuses the topics a pipeline reads or dead-letters to with 409 PIPELINE_TOPIC naming it, a paused subscription too, until it is deleted', async () => {
    const read = await api<ErrorBody>(gw.admin, 'DELETE', '/api/v1/topics/audit');
    expect(read.status).toBe(409);
    expect(read.body.error).toMatchObject({ code: 'PIPELINE_TOPIC', message: expect.stringContaining('"auditors" (reads it)') });
    await backend().createTopic({ name: 'audit-rejects', partitions: 1 }, { ifNotExists: true });
    const deadLetters = await api<ErrorBody>(gw.admin, 'DELETE', '/api/v1/topics/audit-rejects');
    expect(deadLetters.body.error).toMatchObject({ code: 'PIPELINE_TOPIC', message: expect.stringContaining('"auditors" (dead-letters to it)') });

    await backend().createTopic({ name: 'team-feed', partitions: 1 });
    expect((await api(gw.admin, 'POST', '/api/v1/pipelines', { group: 'team', topics: ['team-feed'], sink: { type: 'debug' } })).status).toBe(201);
    expect((await api(gw.admin, 'POST', '/api/v1/pipelines/team/pause')).status).toBe(200);
    const paused = await api<ErrorBody>(gw.admin, 'DELETE', '/api/v1/topics/team-feed');
    expect(paused.status).toBe(409);
    expect(paused.body.error).toMatchObject({ code: 'PIPELINE_TOPIC', message: expect.stringContaining('"team" (reads it, paused)') });
    expect((await api(gw.admin, 'DELETE', '/api/v1/pipelines/team')).status).toBe(200);
    expect((await api(gw.admin, 'DELETE', '/api/v1/topics/team-feed')).status).toBe(200);
  });

  it('never lets a subscription be created on a topic deleted meanwhile: of a create and a delete sent together, one is refused', async () => {
    for (let round = 0; round < 5; round++) {
      const topic = `contested-${round}`;
      await backend().createTopic({ name: topic, partitions: 1 });
      // Sent together, in both orders: whichever runs second sees what the first did.
      const create = () => api<ErrorBody>(gw.admin, 'POST', '/api/v1/pipelines', { group: `contender-${round}`, topics: [topic], sink: { type: 'debug' } });
      const remove = () => api<ErrorBody>(gw.admin, 'DELETE', `/api/v1/topics/${topic}`);
      const [created, deleted] = round % 2 === 0 ? await Promise.all([create(), remove()]) : (await Promise.all([remove(), create()])).reverse();
      const outcome = `create ${created.status}, delete ${deleted.status}`;
      expect([`create 201, delete 409`, `create 400, delete 200`]).toContain(outcome);
      const exists = backend().partitionCount(topic) !== undefined;
      expect(exists).toBe(created.status === 201);
      if (created.status === 201) expect((await api(gw.admin, 'DELETE', `/api/v1/pipelines/contender-${round}`)).status).toBe(200);
    }
  });
});
