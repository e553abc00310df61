// Runs on: main thread.
import { z } from 'zod';
import { MAX_SEGMENT_BYTES, MIN_SEGMENT_BYTES, UNLIMITED_RETENTION } from '../log/storage-limits.js';
import { DEFAULT_TOPICS } from '../otlp/signals.js';
import { openKafkaListenerProblems, problemsAcrossKeys } from './across-keys.js';
import { pipelineFilterSchema } from './pipeline-filter.js';
import { byteSize, connectionTimeout, duration, endpoint, splitEndpoint, timerPeriod, topicAge, topicSize } from './units.js';

/** Topic and group names: what Kafka allows, so a name can never reach outside the data directory. */
export const NAME_PATTERN = /^(?!\.{1,2}$)[a-zA-Z0-9._-]{1,249}$/;
const name = z.string().regex(NAME_PATTERN, { error: 'expected 1-249 characters of a-z, A-Z, 0-9, ".", "_", "-"' });

/**
 * The path of a PEM file. A key or certificate pasted in its place (from an environment variable,
 * as container secrets often come) would be echoed by every message naming the file and listed
 * by the pipelines API: it is refused without being shown.
 */
const pemFilePath = z
  .string()
  .min(1)
  .refine((value) => !/-----BEGIN |[\r\n]/.test(value), { error: 'expected the path of a PEM file, not the PEM text itself (not shown here): write it to a file readable only by the gateway and give its path' });

/** A bearer token travels in a header: printable ASCII, no whitespace (it could never match). */
const tokenValue = z.string().superRefine((token, ctx) => {
  if (token.length === 0) ctx.addIssue({ code: 'custom', message: 'expected a token, not an empty string' });
  else if (/\s/.test(token)) ctx.addIssue({ code: 'custom', message: 'a token must not contain whitespace: no client could send it' });
  else if (!/^[\x21-\x7e]+$/.test(token)) ctx.addIssue({ code: 'custom', message: 'expected printable ASCII characters: no client could send others in a header' });
});

const tokenSchema = z.strictObject({
  token: tokenValue,
  tenant: z.string().min(1).optional(),
});

/** Each token once: a second copy is a paste mistake, and with another tenant it would be ambiguous. */
const tokenList = z
  .array(tokenSchema, { error: (issue) => (issue.input === undefined ? 'required: at least one { token }' : 'expected a list of { token, tenant? }') })
  .min(1, { error: 'expected at least one token; remove the auth block to turn authentication off' })
  .superRefine((tokens, ctx) => {
    const first = new Map<string, number>();
    tokens.forEach(({ token }, i) => {
      const earlier = first.get(token);
      if (earlier === undefined) first.set(token, i);
      else ctx.addIssue({ code: 'custom', path: [i, 'token'], message: `the same token as tokens[${earlier}]` });
    });
  });

/**
 * An auth block with no tokens would turn authentication off; a typo must never open the door,
 * so it is refused: without `auth` the endpoint is open, with it at least one token is needed.
 */
const authSchema = z.strictObject({ tokens: tokenList }, { error: 'expected { tokens: [{ token, tenant? }] }' });

const receiverSchema = z.strictObject({
  endpoint: endpoint.default('127.0.0.1:4318'),
  max_request_bytes: byteSize.default(64 * 1024 ** 2),
  max_inflight_bytes: byteSize.default(256 * 1024 ** 2),
  request_timeout: timerPeriod.default(30_000),
  // Connections: what a client that is slow, idle or one of too many gets (docs/configuration.md).
  header_timeout: connectionTimeout.default(10_000),
  idle_timeout: connectionTimeout.default(30_000),
  max_connections: z.number().int().min(1).default(1024),
  shutdown_timeout: timerPeriod.default(10_000),
  /** On shutdown, how long /readyz answers 503 while the listeners still accept, so load balancers stop sending first. */
  shutdown_delay: timerPeriod.default(0),
  /** Most bytes a request's records may take in the log per byte of the request (decompressed): 413 past it. */
  max_write_amplification: z.number().min(1).max(1024).default(32),
  workers: z.number().int().min(1).max(64).optional(),
  auth: authSchema.optional(),
  tls: z.strictObject({ cert_file: pemFilePath, key_file: pemFilePath }).optional(),
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

// Bounded as the log's storage bounds them: a value accepted here must never fail the start.
const segmentBytes = byteSize.pipe(
  z
    .number()
    .min(MIN_SEGMENT_BYTES, { error: `expected at least ${MIN_SEGMENT_BYTES} bytes` })
    .max(MAX_SEGMENT_BYTES, { error: `expected at most ${MAX_SEGMENT_BYTES} bytes (2 GiB - 1), the largest segment the log can index` }),
);
const segmentMs = topicAge.pipe(z.number().min(1, { error: 'expected at least 1 ms' }));
/** A retention limit, or -1 for none (Kafka's "unlimited"). */
const retentionBytes = z.union([z.literal(UNLIMITED_RETENTION), topicSize], { error: 'expected a size such as "10GiB", or -1 for no limit' });
const retentionMs = z.union([z.literal(UNLIMITED_RETENTION), topicAge], { error: 'expected a duration such as "7d", or -1 for no limit' });

/** The admin API is not divided by tenant: a tenant on one of its tokens would promise what it does not do. */
const adminAuthSchema = authSchema.superRefine((auth, ctx) => {
  auth.tokens.forEach(({ tenant }, i) => {
    if (tenant !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['tokens', i, 'tenant'], message: 'admin tokens have no tenant: every admin token may read and change everything (docs/admin-api.md)' });
    }
  });
});

const adminSchema = z.strictObject({
  endpoint: endpoint.default('127.0.0.1:4320'),
  auth: adminAuthSchema.optional(),
  /** Host names besides loopback ones (and IP addresses beyond loopback) that requests may name; beyond loopback with `auth`, every name is served (src/admin/allowed-hosts.ts). */
  allowed_hosts: z.array(z.string().regex(/^[^\s:/]+$/, { error: 'expected a host name without port or scheme, such as "tributary.example.com"' })).default([]),
});

const topicSchema = z.strictObject({
  partitions: z.number().int().min(1).max(10_000),
  replication_factor: z.number().int().min(1).default(1),
  retention_bytes: retentionBytes.optional(),
  retention_ms: retentionMs.optional(),
  segment_bytes: segmentBytes.optional(),
  segment_ms: segmentMs.optional(),
});

/** An Apache Kafka cluster Tributary connects to as a client (log.backend: kafka, the kafka sink). */
export const kafkaClusterSchema = z.strictObject({
  /** Bootstrap servers. */
  brokers: z
    .array(
      z
        .string()
        .regex(/^[^\s:,]+:\d{1,5}$/, { error: 'expected host:port', abort: true })
        .refine((value) => splitEndpoint(value).port >= 1 && splitEndpoint(value).port <= 65_535, { error: 'expected a port from 1 to 65535' }),
    )
    .min(1),
  client_id: z.string().min(1).default('tributary'),
  /** TLS to the brokers; an empty block uses the system's CAs. */
  tls: z
    .strictObject({
      ca_file: pemFilePath.optional(),
      cert_file: pemFilePath.optional(),
      key_file: pemFilePath.optional(),
      /** Off only for test clusters: the broker's certificate is then not checked. */
      insecure_skip_verify: z.boolean().default(false),
    })
    .refine((tls) => (tls.cert_file === undefined) === (tls.key_file === undefined), { error: 'cert_file and key_file go together' })
    .optional(),
  sasl: z
    .strictObject({
      mechanism: z.enum(['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512']),
      username: z.string().min(1),
      password: z.string().min(1),
    })
    .optional(),
  /** How long a produce may wait for the cluster to acknowledge it before it fails as retriable. */
  produce_timeout: connectionTimeout.default(10_000),
  /** Create missing topics at start with the `topics` block's partitions, where the cluster allows it. */
  create_topics: z.boolean().default(true),
});

/** The shortest `log.retention_check_interval`: short enough for a test to see retention run. */
const MIN_RETENTION_CHECK_MS = 100;
/**
 * The shortest `log.fsync_interval`: each tick wakes every broker thread and goes over its
 * partitions. Syncing more often than this is what `fsync: always` does better (one fsync per
 * write, shared by the writers that arrive together).
 */
const MIN_FSYNC_INTERVAL_MS = 10;

const logSchema = z.strictObject({
  backend: z.enum(['embedded', 'kafka']).default('embedded'),
  data_dir: z.string().min(1).default('./data'),
  brokers: z.number().int().min(1).max(64).default(3),
  fsync: z.enum(['always', 'interval', 'never']).default('interval'),
  // 0 woke every broker thread each millisecond.
  fsync_interval: timerPeriod
    .pipe(
      z.number().min(MIN_FSYNC_INTERVAL_MS, {
        error: `expected at least ${MIN_FSYNC_INTERVAL_MS} ms, such as "1s": for a sync as often as possible, use fsync: always (one fsync per write, shared by concurrent writers)`,
      }),
    )
    .default(1_000),
  segment_bytes: segmentBytes.default(128 * 1024 ** 2),
  segment_ms: segmentMs.default(7 * 86_400_000),
  retention_bytes: retentionBytes.optional(),
  retention_ms: retentionMs.default(7 * 86_400_000),
  // Each check goes over every partition of every broker thread: 0 ran it every millisecond.
  retention_check_interval: timerPeriod
    .pipe(z.number().min(MIN_RETENTION_CHECK_MS, { error: `expected at least ${MIN_RETENTION_CHECK_MS} ms, such as "1m": each check goes over every partition on every broker thread` }))
    .default(60_000),
  max_record_bytes: byteSize.pipe(z.number().min(1024).max(MAX_SEGMENT_BYTES)).default(16 * 1024 ** 2),
  index_interval_bytes: byteSize.pipe(z.number().min(1)).default(4096),
  kafka: kafkaClusterSchema.optional(),
}).superRefine((log, ctx) => {
  if (log.backend === 'kafka' && !log.kafka) ctx.addIssue({ code: 'custom', path: ['kafka'], message: 'required with backend "kafka": { brokers: [host:port, ...] }' });
});

const kafkaSchema = z.strictObject({
  /** host:port of the Kafka wire protocol over the embedded log; "" turns it off. */
  listener: z.union([z.literal(''), endpoint]).default('127.0.0.1:9092'),
  /**
   * host:port that Metadata and FindCoordinator name as the broker (Kafka's advertised.listeners),
   * for clients that reach the listener through another address (a container's published port, a
   * load balancer); "" advertises the address each client connected to.
   */
  advertised_listener: z.union([z.literal(''), endpoint]).default(''),
  max_request_bytes: byteSize.default(100 * 1024 ** 2),
  /** Memory of request frames partly received, all connections together; past it, connections wait unread. */
  max_partial_request_bytes: byteSize.default(512 * 1024 ** 2),
  /** Past it, a new connection is closed as it is accepted. */
  max_connections: z.number().int().min(1).default(1024),
  /** A connection with no request for this long is closed (Kafka's connections.max.idle.ms). */
  idle_timeout: connectionTimeout.default(10 * 60_000),
  /** When set, clients must authenticate with SASL/PLAIN, a token as the password. */
  auth: authSchema.optional(),
  /** A produced record stamped further ahead of the gateway's clock is refused (Kafka's message.timestamp.after.max.ms). */
  // Kafka 3's default is Long.MAX_VALUE (no check), which users copy: kept as 2^53 - 1, as retention is.
  message_timestamp_after_max_ms: topicAge.default(3_600_000),
}).superRefine((kafka, ctx) => {
  if (kafka.advertised_listener && splitEndpoint(kafka.advertised_listener).port === 0) {
    ctx.addIssue({ code: 'custom', path: ['advertised_listener'], message: 'expected a port from 1 to 65535: clients connect to it' });
  }
  if (kafka.max_partial_request_bytes < kafka.max_request_bytes) {
    ctx.addIssue({ code: 'custom', path: ['max_partial_request_bytes'], message: `must be at least kafka.max_request_bytes (${kafka.max_request_bytes} bytes): a frame of that size could never be read` });
  }
});

const groupsSchema = z.strictObject({
  session_timeout: timerPeriod.default(45_000),
  heartbeat_interval: timerPeriod.default(3_000),
  rebalance_timeout: timerPeriod.default(60_000),
  assignor: z.enum(['range', 'roundrobin', 'sticky']).default('sticky'),
  /** Kafka's offsets.retention.minutes: a group empty this long with no commit in it loses its offsets; 0 keeps them. */
  offsets_retention: duration.default(7 * 86_400_000),
  offsets_retention_check_interval: timerPeriod.refine((ms) => ms > 0, { error: 'expected a duration above 0, such as "10m"' }).default(600_000),
  /** Groups with series of their own on /metrics: any Kafka client creates groups, so their number is not the operator's. */
  metrics_max_groups: z.number().int().min(0).max(100_000).default(100),
});

/** Bounds of a pipeline's batch, which its sink worker holds whole (and converts) before an export. */
const MAX_BATCH_RECORDS = 1_000_000;
const MAX_BATCH_BYTES = 256 * 1024 ** 2;

/** A retry wait: 0 would retry a failing export at once, over and over (1000 a second, a warning each). */
const retryWait = timerPeriod.refine((ms) => ms > 0, { error: 'expected a duration above 0, such as "500ms": 0 retries a failing export at once, over and over' });

const retrySchema = z.strictObject({
  initial_interval: retryWait.default(500),
  max_interval: retryWait.default(30_000),
  max_elapsed_time: duration.default(300_000),
});

const batchSchema = z.strictObject({
  // Large: each export costs a request, a commit and their thread hops whatever its size, which at
  // 500 single-span records cost more than the records themselves; max_bytes still bounds a batch.
  max_records: z.number().int().min(1).max(MAX_BATCH_RECORDS, { error: `expected at most ${MAX_BATCH_RECORDS} records` }).default(8192),
  // A batch is held whole on its sink worker; 0 would never fill (its member would spin).
  max_bytes: byteSize
    .pipe(
      z
        .number()
        .min(1, { error: 'expected at least 1 byte' })
        .max(MAX_BATCH_BYTES, { error: `expected at most ${MAX_BATCH_BYTES} bytes (256 MiB): a batch is held whole in memory` }),
    )
    .default(4 * 1024 ** 2),
  // Short by default: a batch fills up under load anyway, and delivery p99 stays low when it is light.
  max_wait: timerPeriod.default(5),
});

/** A sink's own settings are checked by the sink's factory; here only its type is known. */
const sinkSchema = z.looseObject({ type: z.string().min(1) });

export const pipelineSchema = z.strictObject({
  group: name,
  topics: z
    .array(name)
    .min(1)
    .superRefine((topics, ctx) => {
      const twice = topics.find((topic, i) => topics.indexOf(topic) !== i);
      if (twice !== undefined) ctx.addIssue({ code: 'custom', message: `${twice} is listed twice` });
    }),
  sink: sinkSchema,
  members: z.number().int().min(1).max(64).default(1),
  assignor: z.enum(['range', 'roundrobin', 'sticky']).optional(),
  auto_offset_reset: z.enum(['earliest', 'latest']).default('earliest'),
  batch: batchSchema.default(batchSchema.parse({})),
  retry: retrySchema.default(retrySchema.parse({})),
  dead_letter: z.strictObject({ enabled: z.boolean().default(true), topic: name.optional() }).default({ enabled: true }),
  /** Which records the sink receives; without it, all. */
  filter: pipelineFilterSchema.optional(),
});

const sinksSchema = z.strictObject({
  /** Sink worker threads that run the pipelines' members; by default half the cores, between 1 and 8. */
  workers: z.number().int().min(1).max(64).optional(),
  /** Most subscriptions the pipelines API keeps (running, paused or failed): each costs members, polls and memory. */
  max_subscriptions: z.number().int().min(0).max(10_000).default(256),
  /** Where file sinks of pipelines created through the API may write; unset, anywhere outside log.data_dir. */
  file_dir: z.string().min(1).optional(),
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
  sinks: sinksSchema.default(sinksSchema.parse({})),
  pipelines: z.array(pipelineSchema).default([]),
})
  .superRefine((config, ctx) => {
    for (const problem of problemsAcrossKeys(config)) ctx.addIssue({ code: 'custom', ...problem });
    for (const problem of openKafkaListenerProblems(config)) ctx.addIssue({ code: 'custom', ...problem });
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
