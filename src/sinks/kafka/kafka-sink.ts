/**
 * Runs on: main thread (the Kafka client works only there); the pipeline's members on the sink
 * workers hand it their batches. Exports a
 * pipeline's records to an external Kafka cluster as the OpenTelemetry Collector's Kafka exporter
 * writes them with encoding `otlp_proto`: each record's value is already a whole
 * Export*ServiceRequest, its key the trace id or resource hash, so records are forwarded as they
 * are, to the Collector's topic for their signal, with acks=all.
 */
import { z } from 'zod';
import { kafkaClusterSchema, NAME_PATTERN } from '../../config/schema.js';
import { TributaryError } from '../../errors.js';
import { connectionProperties } from '../../log/kafka/client-config.js';
import { KafkaErrors } from '../../log/kafka/kafka-errors.js';
import { KafkaProducer } from '../../log/kafka/kafka-producer.js';
import { loadKafkaClient } from '../../log/kafka/load-client.js';
import type { ConsumedRecord } from '../../log/types.js';
import { kindOfRecord } from '../signals.js';
import { parseSinkConfig } from '../sink-config.js';
import type { ExportOutcome, Sink, SinkBatch, SinkContext, SinkFactory } from '../sink.js';

const topicName = z.string().regex(NAME_PATTERN, { error: 'expected a Kafka topic name' });

const configSchema = kafkaClusterSchema.omit({ create_topics: true }).extend({
  /** The Collector's Kafka exporter's topics; events are OTLP logs, so they go with the logs. */
  topics: z
    .strictObject({
      traces: topicName.default('otlp_spans'),
      metrics: topicName.default('otlp_metrics'),
      logs: topicName.default('otlp_logs'),
      events: topicName.default('otlp_logs'),
    })
    .default({ traces: 'otlp_spans', metrics: 'otlp_metrics', logs: 'otlp_logs', events: 'otlp_logs' }),
  /** Largest record sent; Kafka's own default message.max.bytes is about 1 MB. */
  max_record_bytes: z.number().int().min(1024).default(1_000_000),
});

export type KafkaSinkConfig = z.output<typeof configSchema>;

/** How long one attempt to reach the cluster may take. */
const CONNECT_TIMEOUT_MS = 10_000;

/** How long a topic may be missing from the cluster's metadata (just created elsewhere) before its records fail. */
const UNKNOWN_TOPIC_AFTER_MS = 5_000;

/** librdkafka picks the partition from the key, as Kafka's own clients do (murmur2). */
const UNASSIGNED_PARTITION = -1;

export function createKafkaSink(config: KafkaSinkConfig, context: SinkContext): Sink {
  const client = loadKafkaClient(`${context.path}.type: kafka`);
  const errors = new KafkaErrors(client);
  const producer = new KafkaProducer(
    client,
    {
      ...connectionProperties(config),
      partitioner: 'murmur2_random',
      // A topic the cluster does not have fails as unknown (permanent) this soon, rather than as a
      // retriable timeout: librdkafka's 30 s default is past the produce timeout.
      'topic.metadata.propagation.max.ms': Math.min(UNKNOWN_TOPIC_AFTER_MS, Math.floor(config.produce_timeout / 2)),
    },
    errors,
    {
    produceTimeoutMs: config.produce_timeout,
    maxRecordBytes: config.max_record_bytes,
    onError: (err) => context.logger.warn('Kafka sink: cluster error', { pipeline: context.pipeline, error: err.message }),
    logger: context.logger,
  });

  const send = async (records: ConsumedRecord[]) => {
    // One produce per record (keyed: its partition is the cluster's choice); all acknowledged before the batch counts as exported.
    await Promise.all(
      records.map((r) =>
        producer.produce(config.topics[kindOfRecord(r)], UNASSIGNED_PARTITION, [{ key: r.key, value: r.value, headers: r.headers, timestamp: r.timestamp }], true),
      ),
    );
  };

  // The connection is made at start and, while the cluster cannot be reached, again by each export: a cluster
  // that is down holds back only this pipeline (its lag grows), never the gateway's start or its ingest.
  let connecting: Promise<void> | undefined;
  const connect = () =>
    (connecting ??= producer.connect(CONNECT_TIMEOUT_MS, { brokers: config.brokers, keys: `${context.path}.brokers, tls and sasl` }).catch((err: unknown) => {
      connecting = undefined;
      throw err;
    }));

  return {
    type: 'kafka',
    async start() {
      connect().catch((err: unknown) =>
        context.logger.warn('Kafka sink: cannot reach the cluster; the pipeline retries until it can', { pipeline: context.pipeline, error: errors.wrap(err, 'connect').message }),
      );
    },
    async export(batch: SinkBatch): Promise<ExportOutcome> {
      try {
        await connect();
        await send(batch.signals.flatMap((s) => s.records));
        return {};
      } catch (err) {
        const e = errors.wrap(err, `Kafka sink ${context.pipeline}`);
        // Kafka's retriable errors (brokers away, timeouts) are retried; the rest (too large, no such topic) dead-lettered.
        throw new TributaryError(e.retriable ? 'SINK_UNAVAILABLE' : 'SINK_REJECTED', e.message, { retriable: e.retriable, cause: e });
      }
    },
    async shutdown() {
      // A connect still under way would leave a connected producer behind.
      await connecting?.catch(() => undefined);
      await producer.close(10_000);
    },
  };
}

export const kafkaSinkFactory: SinkFactory = {
  type: 'kafka',
  mainThread: true,
  create: (raw, context) => createKafkaSink(parseSinkConfig(configSchema, raw, context.path), context),
};
