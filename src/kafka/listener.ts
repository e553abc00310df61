/**
 * Runs on: main thread.
 *
 * The Kafka wire protocol on `kafka.listener`, over the embedded log: a TCP server whose
 * connections (connection.ts) dispatch each request to the handler of its API key
 * (handlers/index.ts). It advertises one broker, itself, at the address the client connected to:
 * leader of every partition, coordinator of every group, and controller. With the receiver's
 * certificate (receiver.tls) it speaks TLS. Past `kafka.max_connections` open connections, a new
 * one is closed as it is accepted; one without a request for `kafka.idle_timeout` is closed.
 * Frames partly received hold at most `kafka.max_partial_request_bytes` together (FrameBudget).
 */
import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import type { KafkaConfig } from '../config/schema.js';
import { createTokenMatcher } from '../http/bearer-auth.js';
import { splitEndpoint } from '../config/units.js';
import { ConfigError, TributaryError } from '../errors.js';
import type { EmbeddedBackend } from '../log/embedded/embedded-backend.js';
import type { Logger } from '../telemetry/logger.js';
import type { Telemetry } from '../telemetry/telemetry.js';
import type { KafkaServices } from './api.js';
import { KafkaConnection } from './connection.js';
import { FetchMemory } from './fetch-memory.js';
import { BufferPool } from '../buffer-pool.js';
import { FrameBudget } from './frame-budget.js';
import { readingInto } from './read-buffer-socket.js';
import { handlerRegistry } from './handlers/index.js';
import { KafkaMetrics } from './kafka-metrics.js';
import { ProducerIds } from './producer-ids.js';
import { ProducerSequences } from './producer-sequences.js';
import { ProducerStateRecovery } from './producer-state-recovery.js';
import { TopicIdIndex } from './topic-ids.js';
import { loadTlsFiles } from '../tls-files.js';

/** The node id of the one broker advertised. */
const NODE_ID = 0;
/** A Fetch waits at most this long, whatever the client asks, so a shutdown is never held up long. */
const MAX_FETCH_WAIT_MS = 10_000;
/** How long shutdown lets a request in hand finish before the connection is cut. */
const SHUTDOWN_GRACE_MS = 2_000;
/** Request frame memory kept for reuse, all connections together: a few producers' megabyte frames. */
const FRAME_POOL_BYTES = 16 * 1024 * 1024;
/** What one read of a plain TCP connection takes at most (Node's own reads take 64 KiB). */
const READ_BUFFER_BYTES = 64 * 1024;

export interface KafkaListenerOptions {
  config: KafkaConfig;
  /** The receiver's certificate and key: when set, the listener speaks TLS with them. */
  tls?: { cert_file: string; key_file: string };
  log: EmbeddedBackend;
  /** How DeleteTopics deletes: the gateway's deletion, which refuses the topics it uses (src/topic-guard.ts); the log's own by default. */
  deleteTopic?: (topic: string) => Promise<void>;
  /** The log's data directory, where the producer ids handed out are recorded. */
  dataDir: string;
  telemetry: Telemetry;
  logger: Logger;
}

export interface KafkaListener {
  /** Listens on `kafka.listener`; a port in use is a ConfigError naming the key. */
  start(): Promise<void>;
  /** Stops accepting, lets each connection's request in hand finish, then closes them. */
  shutdown(): Promise<void>;
  address(): { host: string; port: number };
}

export function createKafkaListener(options: KafkaListenerOptions): KafkaListener {
  const { config, log } = options;
  if (!config.listener) throw new ConfigError('kafka.listener: is empty, so no Kafka listener is to be created');
  const logger = options.logger.child('kafka');
  const frameBudget = new FrameBudget(config.max_partial_request_bytes);
  const advertised = config.advertised_listener ? splitEndpoint(config.advertised_listener) : undefined;
  const metrics = new KafkaMetrics(options.telemetry, () => frameBudget.usedBytes);
  const registry = handlerRegistry();
  const apis = [...registry.values()].sort((a, b) => a.apiKey - b.apiKey).map((h) => ({ apiKey: h.apiKey, versions: h.versions }));
  const connections = new Set<KafkaConnection>();
  const framePool = new BufferPool({ maxFreeBytes: FRAME_POOL_BYTES, minPooledBytes: Buffer.poolSize >>> 1 });
  /** Shared by the plain TCP connections: a read's bytes are copied out before the next read of any of them. */
  const readBuffer = Buffer.allocUnsafeSlow(READ_BUFFER_BYTES);
  let server: Server | undefined;
  const producerIds = new ProducerIds(options.dataDir);
  const sequences = new ProducerSequences();
  const topicIds = new TopicIdIndex(log, () => services.clusterId);
  const producerRecovery = new ProducerStateRecovery(log, sequences);
  let stopFollowingDeletions: (() => void) | undefined;
  const services: KafkaServices = {
    log,
    groups: log.groupCoordinator,
    nodeId: NODE_ID,
    clusterId: '',
    apis: () => apis,
    resolveTopic: (nameOrId) => topicIds.resolve(nameOrId),
    nextProducerId: () => producerIds.take(),
    sequences,
    producerRecovery,
    deleteTopic: options.deleteTopic ?? ((topic) => log.deleteTopic(topic)),
    checkToken: createTokenMatcher(config.auth),
    timestampAfterMaxMs: config.message_timestamp_after_max_ms,
    maxFetchWaitMs: MAX_FETCH_WAIT_MS,
    fetchMemory: new FetchMemory(),
    logger,
  };

  const accept = (accepted: Socket) => {
    let connection!: KafkaConnection;
    // TLS sockets decrypt into buffers of their own; a plain one reads into the shared buffer, or
    // straight into the large frame it is reading (the first target is asked for before the
    // connection exists).
    const socket = options.tls
      ? accepted
      : readingInto(
          accepted,
          () => (connection ? connection.readTarget(readBuffer) : readBuffer),
          (bytes) => connection.received(bytes, true),
        );
    connection = new KafkaConnection(socket, {
      registry,
      services,
      maxRequestBytes: config.max_request_bytes,
      framePool,
      frameBudget,
      idleTimeoutMs: config.idle_timeout,
      advertised,
      metrics,
      logger,
    });
    connections.add(connection);
    metrics.connections.inc();
    socket.once('close', () => {
      connections.delete(connection);
      metrics.connections.dec();
    });
  };

  return {
    async start() {
      if (server) throw new TributaryError('INTERNAL', 'the Kafka listener was already started');
      services.clusterId = (await log.cluster()).clusterId;
      producerIds.load();
      // A topic created again under a deleted one's name has new producers and a new id.
      stopFollowingDeletions = log.onTopicDeleted((topic) => {
        sequences.forgetTopic(topic);
        producerRecovery.forgetTopic(topic);
        topicIds.forget();
      });
      const { host, port } = splitEndpoint(config.listener);
      const s = options.tls ? createTlsServer(loadTlsFiles(options.tls, 'receiver.tls', ' for the Kafka listener'), accept) : createServer({ pauseOnConnect: true }, accept);
      // Past the limit Node closes each new connection as it is accepted, and says so with 'drop'.
      s.maxConnections = config.max_connections;
      s.on('drop', () => metrics.refusedConnections.inc());
      await new Promise<void>((resolve, reject) => {
        s.once('error', (err: NodeJS.ErrnoException) =>
          reject(new ConfigError(`kafka.listener: cannot listen on ${config.listener}: ${err.code ?? err.message}`, { cause: err })),
        );
        s.listen(port, host, () => resolve());
      });
      s.on('error', (err) => logger.error('kafka listener error', { error: err.message }));
      server = s;
      logger.info('kafka listener started', { endpoint: config.listener, port: (s.address() as { port: number }).port, tls: options.tls !== undefined });
    },
    async shutdown() {
      stopFollowingDeletions?.();
      const s = server;
      if (!s) return;
      server = undefined;
      const closed = new Promise<void>((resolve) => s.close(() => resolve()));
      await Promise.allSettled([...connections].map((c) => c.close(SHUTDOWN_GRACE_MS)));
      await closed;
    },
    address() {
      const info = server?.address();
      if (!info || typeof info === 'string') throw new TributaryError('INTERNAL', 'the Kafka listener is not listening');
      return { host: info.address, port: info.port };
    },
  };
}
