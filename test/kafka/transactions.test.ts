import { join } from 'node:path';
import { Producer } from '@platformatic/kafka';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientAvailable, type KafkaGateway, PYTHON, run, startKafkaGateway } from './helpers.js';

/**
 * Transactions are not served: a transactional producer is refused at its first step, finding its
 * transaction coordinator, with TRANSACTIONAL_ID_AUTHORIZATION_FAILED, which clients hold fatal
 * (librdkafka's init_transactions fails at once instead of waiting out its timeout).
 */
describe('a transactional producer against the Kafka listener', () => {
  const confluent = clientAvailable(PYTHON, ['-c', 'import confluent_kafka'], 'python3-confluent-kafka');
  let g: KafkaGateway;
  beforeAll(async () => {
    g = await startKafkaGateway();
  }, 60_000);
  afterAll(() => g?.stop());

  it.runIf(confluent)('python3-confluent-kafka: init_transactions fails with a fatal TRANSACTIONAL_ID_AUTHORIZATION_FAILED, not a timeout it would retry', async () => {
    const { code, stdout, stderr } = await run(PYTHON, [join(import.meta.dirname, 'clients', 'transactional_producer.py'), g.bootstrap, '30']);
    expect(code, stderr).toBe(0);
    const out = JSON.parse(stdout.toString());
    expect(out).toMatchObject({ error: 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED', fatal: true });
    expect(out.message).toMatch(/transactions are not served/);
  }, 60_000);

  it('@platformatic/kafka: beginTransaction is refused with TRANSACTIONAL_ID_AUTHORIZATION_FAILED', async () => {
    const producer = new Producer({ clientId: 'platformatic-tx', bootstrapBrokers: [g.bootstrap], transactionalId: 'platformatic-tx', idempotent: true, retries: 1 });
    const refused = await producer.beginTransaction().then(
      () => undefined,
      (err: Error & { code?: string; response?: { coordinators: { errorCode: number; errorMessage: string }[] } }) => err,
    );
    await producer.close().catch(() => {});
    // Refused by the first answer: not retried as a coordinator that is not available yet.
    expect(refused?.code).toBe('PLT_KFK_RESPONSE');
    expect(refused?.response?.coordinators[0]).toMatchObject({ errorCode: 53, errorMessage: expect.stringMatching(/transactions are not served/) });
  });
});
