import { z } from 'zod';
import { DEFAULT_TOPICS } from '../otlp/signals.js';
import { byteSize, duration, endpoint } from './units.js';

/** Topic and group names: what Kafka allows, so a name can never reach outside the data directory. */
export const NAME_PATTERN = /^(?!\.{1,2}$)[a-zA-Z0-9._-]{1,249}$/;
const name = z.string().regex(NAME_PATTERN, { error: 'expected 1-249 characters of a-z, A-Z, 0-9, ".", "_", "-"' });

const tokenSchema = z.strictObject({
  token: z.string().min(16, { error: 'expected a token of at least 16 characters' }),
  tenant: z.string().min(1).optional(),
});

const authSchema = z.strictObject({
  tokens: z.array(tokenSchema).default([]),
});

const receiverSchema = z.strictObject({
  endpoint: endpoint.default('127.0.0.1:4318'),
  max_request_bytes: byteSize.default(64 * 1024 ** 2),
  max_inflight_bytes: byteSize.default(256 * 1024 ** 2),
  request_timeout: duration.default(30_000),
  workers: z.number().int().min(1).max(64).optional(),
  auth: authSchema.optional(),
  tls: z.strictObject({ cert_file: z.string(), key_file: z.string() }).optional(),
  cors: z.strictObject({ allowed_origins: z.array(z.string()).default([]) }).optional(),
  /** The topic each kind of record goes to; the defaults are the Collector's Kafka exporter's. */
  topics: z
    .strictObject({
      traces: name.default(DEFAULT_TOPICS.traces),
      metrics: name.default(DEFAULT_TOPICS.metrics),
      logs: name.default(DEFAULT_TOPICS.logs),
      events: name.default(DEFAULT_TOPICS.events),
    })
    .default({ ...DEFAULT_TOPICS }),
});

const adminSchema = z.strictObject({
  endpoint: endpoint.default('127.0.0.1:4320'),
  auth: authSchema.optional(),
});

const topicSchema = z.strictObject({
  partitions: z.number().int().min(1).max(10_000),
  replication_factor: z.number().int().min(1).default(1),
  retention_bytes: byteSize.optional(),
  retention_ms: duration.optional(),
  segment_bytes: byteSize.optional(),
  segment_ms: duration.optional(),
});

const logSchema = z.strictObject({
  backend: z.enum(['embedded', 'kafka']).default('embedded'),
  data_dir: z.string().min(1).default('./data'),
  brokers: z.number().int().min(1).max(64).default(3),
  fsync: z.enum(['always', 'interval', 'never']).default('interval'),
  fsync_interval: duration.default(1_000),
  segment_bytes: byteSize.default(128 * 1024 ** 2),
  segment_ms: duration.default(7 * 86_400_000),
  retention_bytes: byteSize.optional(),
  retention_ms: duration.default(7 * 86_400_000),
  retention_check_interval: duration.default(60_000),
  max_record_bytes: byteSize.default(16 * 1024 ** 2),
  index_interval_bytes: byteSize.default(4096),
  kafka: z
    .strictObject({
      brokers: z.array(z.string()).min(1),
      client_id: z.string().default('tributary'),
    })
    .optional(),
});

const kafkaSchema = z.strictObject({
  /** host:port of the Kafka wire protocol over the embedded log; "" turns it off. */
  listener: z.union([z.literal(''), endpoint]).default('127.0.0.1:9092'),
  max_request_bytes: byteSize.default(100 * 1024 ** 2),
  /** When set, clients must authenticate with SASL/PLAIN, a token as the password. */
  auth: authSchema.optional(),
});

const groupsSchema = z.strictObject({
  session_timeout: duration.default(45_000),
  heartbeat_interval: duration.default(3_000),
  rebalance_timeout: duration.default(60_000),
  assignor: z.enum(['range', 'roundrobin', 'sticky']).default('sticky'),
});

const retrySchema = z.strictObject({
  initial_interval: duration.default(500),
  max_interval: duration.default(30_000),
  max_elapsed_time: duration.default(300_000),
});

const batchSchema = z.strictObject({
  max_records: z.number().int().min(1).default(500),
  max_bytes: byteSize.default(4 * 1024 ** 2),
  // Short by default: a batch fills up under load anyway, and delivery p99 stays low when it is light.
  max_wait: duration.default(5),
});

/** A sink's own settings are checked by the sink's factory; here only its type is known. */
const sinkSchema = z.looseObject({ type: z.string().min(1) });

const pipelineSchema = z.strictObject({
  group: name,
  topics: z.array(name).min(1),
  sink: sinkSchema,
  members: z.number().int().min(1).max(64).default(1),
  assignor: z.enum(['range', 'roundrobin', 'sticky']).optional(),
  auto_offset_reset: z.enum(['earliest', 'latest']).default('earliest'),
  batch: batchSchema.default(batchSchema.parse({})),
  retry: retrySchema.default(retrySchema.parse({})),
  dead_letter: z.strictObject({ enabled: z.boolean().default(true), topic: name.optional() }).default({ enabled: true }),
});

/** The receiver's four topics, with 6 partitions each, for those the `topics` block leaves out. */
function signalTopics(receiver: z.infer<typeof receiverSchema>): Record<string, z.infer<typeof topicSchema>> {
  return Object.fromEntries(Object.values(receiver.topics).map((topic) => [topic, { partitions: 6, replication_factor: 1 }]));
}

export const configSchema = z.strictObject({
  receiver: receiverSchema.default(receiverSchema.parse({})),
  admin: adminSchema.default(adminSchema.parse({})),
  log: logSchema.default(logSchema.parse({})),
  groups: groupsSchema.default(groupsSchema.parse({})),
  kafka: kafkaSchema.default(kafkaSchema.parse({})),
  topics: z.record(name, topicSchema).default({}),
  pipelines: z.array(pipelineSchema).default([]),
})
  // The receiver's topics always exist: a config that leaves them out gets them with 6 partitions.
  .transform((config) => ({ ...config, topics: { ...signalTopics(config.receiver), ...config.topics } }));

export type TributaryConfig = z.infer<typeof configSchema>;
export type ReceiverConfig = TributaryConfig['receiver'];
export type AdminConfig = TributaryConfig['admin'];
export type LogConfig = TributaryConfig['log'];
export type GroupsConfig = TributaryConfig['groups'];
export type KafkaConfig = TributaryConfig['kafka'];
export type TopicConfig = z.infer<typeof topicSchema>;
export type PipelineConfig = z.infer<typeof pipelineSchema>;
export type AuthConfig = z.infer<typeof authSchema>;
