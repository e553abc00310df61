import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { ConfigError, type TributaryError } from '../../src/errors.js';
import { createLogBackend } from '../../src/log/create-backend.js';
import { loadKafkaClient } from '../../src/log/kafka/load-client.js';
import type { Logger } from '../../src/telemetry/logger.js';
import { startKafkaGateway, type KafkaGateway } from '../kafka/helpers.js';
import { describeKafka, kafkaConfig, useMockCluster } from './mock-fixture.js';

const issues = (input: unknown) => {
  const result = configSchema.safeParse(input);
  return result.success ? [] : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

describe('log.kafka config', () => {
  it('takes brokers, client id, TLS and SASL, with their defaults', () => {
    const config = configSchema.parse({
      log: {
        backend: 'kafka',
        kafka: { brokers: ['k1:9092', 'k2:9093'], tls: { ca_file: '/ca.pem' }, sasl: { mechanism: 'SCRAM-SHA-512', username: 'u', password: 'p' } },
      },
    });
    expect(config.log.kafka).toEqual({
      brokers: ['k1:9092', 'k2:9093'],
      client_id: 'tributary',
      tls: { ca_file: '/ca.pem', insecure_skip_verify: false },
      sasl: { mechanism: 'SCRAM-SHA-512', username: 'u', password: 'p' },
      produce_timeout: 10_000,
      create_topics: true,
    });
  });

  it('refuses what would not connect, naming each key', () => {
    expect(issues({ log: { backend: 'kafka' } })).toEqual([expect.stringMatching(/^log\.kafka: required with backend "kafka"/)]);
    expect(issues({ log: { backend: 'kafka', kafka: { brokers: ['no-port'] } } })).toEqual([expect.stringMatching(/^log\.kafka\.brokers\.0: expected host:port/)]);
    expect(issues({ log: { backend: 'kafka', kafka: { brokers: [] } } })).toEqual([expect.stringMatching(/^log\.kafka\.brokers:/)]);
    expect(issues({ log: { backend: 'kafka', kafka: { brokers: ['k:1'], tls: { cert_file: '/c.pem' } } } })).toEqual([expect.stringMatching(/^log\.kafka\.tls: cert_file and key_file go together/)]);
    expect(issues({ log: { backend: 'kafka', kafka: { brokers: ['k:1'], sasl: { mechanism: 'GSSAPI', username: 'u', password: 'p' } } } })).toEqual([
      expect.stringMatching(/^log\.kafka\.sasl\.mechanism:/),
    ]);
  });

  it('refuses a port librdkafka cannot use and a produce_timeout it would take as "never" or overflow, naming the key', () => {
    const kafka = (extra: Record<string, unknown>) => issues({ log: { backend: 'kafka', kafka: { brokers: ['k:9092'], ...extra } } });
    expect(kafka({ brokers: ['k:99999'] })).toEqual([expect.stringMatching(/^log\.kafka\.brokers\.0: expected a port from 1 to 65535/)]);
    expect(kafka({ brokers: ['k:0'] })).toEqual([expect.stringMatching(/^log\.kafka\.brokers\.0: expected a port from 1 to 65535/)]);
    // librdkafka's message.timeout.ms 0 is infinite: records would wait in its queue for ever.
    expect(kafka({ produce_timeout: 0 })).toEqual([expect.stringMatching(/^log\.kafka\.produce_timeout: expected a duration above 0/)]);
    expect(kafka({ produce_timeout: '30d' })).toEqual([expect.stringMatching(/^log\.kafka\.produce_timeout: expected at most 2147483647 ms/)]);
    expect(kafka({ produce_timeout: '24d' })).toEqual([]);
  });

  it('says how to install the Kafka client when it is missing, naming what asked for it', () => {
    let error: unknown;
    try {
      loadKafkaClient('log.backend: kafka', '@confluentinc/kafka-javascript-not-here');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toMatch(/^log\.backend: kafka: the Kafka client is needed, but @confluentinc\/kafka-javascript-not-here is not installed/);
    expect(message).toContain('CKJS_LINKING=dynamic npm install @confluentinc/kafka-javascript');
    expect(message).toContain('libssl-dev zlib1g-dev');
  });
});

describeKafka('the Kafka backend at start', () => {
  it('refuses a TLS file it cannot read, naming the key, before connecting', async () => {
    const config = configSchema.parse({ log: { backend: 'kafka', kafka: { brokers: ['127.0.0.1:1'], tls: { ca_file: '/nonexistent/ca.pem' } } } });
    const backend = createLogBackend(config);
    const error = await backend.start().then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(/^log\.kafka\.tls\.ca_file: cannot read \/nonexistent\/ca\.pem/);
    await backend.shutdown();
  });

  it('answers BROKER_UNAVAILABLE (retriable) when no bootstrap server answers', async () => {
    const backend = createLogBackend(configSchema.parse({ log: { backend: 'kafka', kafka: { brokers: ['127.0.0.1:1'] } } }));
    const error = await backend.start().then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).toMatchObject({ code: 'BROKER_UNAVAILABLE', retriable: true });
    expect((error as Error).message).toContain('127.0.0.1:1');
    await backend.shutdown();
  });
});

describeKafka('the Kafka backend on a cluster that requires SASL (Tributary\'s own Kafka listener with tokens)', () => {
  let listener: KafkaGateway;
  beforeAll(async () => {
    listener = await startKafkaGateway({ kafka: { auth: { tokens: [{ token: 's3cret' }] } } });
  });
  afterAll(async () => {
    await listener?.stop();
  });

  const startError = async (sasl: Record<string, unknown>, tls?: Record<string, unknown>) => {
    const backend = createLogBackend(kafkaConfig({ brokers: [listener.bootstrap] }, { log: { kafka: { sasl, ...(tls ? { tls } : {}) } } }));
    const error = await backend.start().then(
      () => undefined,
      (err: unknown) => err,
    );
    await backend.shutdown();
    return error as TributaryError;
  };

  it('says why the brokers refused the connection: the broker, and the SASL failure librdkafka saw', async () => {
    const wrong = await startError({ mechanism: 'PLAIN', username: 'u', password: 'wrong' });
    expect(wrong).toMatchObject({ code: 'BROKER_UNAVAILABLE' });
    expect(wrong.message).toContain(listener.bootstrap);
    expect(wrong.message).toMatch(/SASL authentication error: authentication failed/);
    expect(wrong.message).toContain('log.kafka.sasl');

    const mechanism = await startError({ mechanism: 'SCRAM-SHA-256', username: 'u', password: 's3cret' });
    expect(mechanism.message).toMatch(/SCRAM-SHA-256 mechanism handshake failed.*supported mechanisms: PLAIN/);
  });

  it('says TLS did not connect, naming log.kafka.tls, when the brokers do not speak it; Node warns of nothing', async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    try {
      const error = await startError({ mechanism: 'PLAIN', username: 'u', password: 's3cret' }, { insecure_skip_verify: true });
      expect(error).toMatchObject({ code: 'BROKER_UNAVAILABLE' });
      expect(error.message).toMatch(/TLS/);
      expect(error.message).toContain('log.kafka.tls');
      // A warning is printed on the process's stderr; an IP address is no TLS server name.
      await new Promise((r) => setImmediate(r));
      expect(warnings.map((w) => w.message)).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('connects with the right token', async () => {
    const backend = createLogBackend(kafkaConfig({ brokers: [listener.bootstrap] }, { log: { kafka: { sasl: { mechanism: 'PLAIN', username: 'u', password: 's3cret' } } } }));
    await backend.start();
    await backend.shutdown();
  });
});

describeKafka('configured topics on a cluster without CreateTopics (3-broker librdkafka mock cluster)', () => {
  const cluster = useMockCluster({ otlp_spans: 2, otlp_metrics: 1, otlp_logs: 1, otlp_events: 1 });

  it('starts, and warns naming the topics it could not create', async () => {
    const warnings: { message: string; fields?: Record<string, unknown> }[] = [];
    const logger: Logger = {
      debug: () => {},
      info: () => {},
      warn: (message, fields) => warnings.push({ message, fields }),
      error: () => {},
      child: () => logger,
    };
    const backend = createLogBackend(kafkaConfig(cluster(), { topics: { audit: { partitions: 3 } } }), { logger });
    await backend.start();
    try {
      expect(warnings).toEqual([{ message: expect.stringContaining('the cluster does not serve CreateTopics'), fields: { topics: ['audit'] } }]);
      await expect(backend.describeTopic('audit')).rejects.toMatchObject({ code: 'UNKNOWN_TOPIC' });
      expect(backend.partitionCount('otlp_spans')).toBe(2);
    } finally {
      await backend.shutdown();
    }
  });
});
