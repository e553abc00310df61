/**
 * Runs on: main thread.
 *
 * What a handler of one Kafka API key is: the versions it serves, the generated codecs of its
 * request and response, and the function that answers. src/kafka/handlers/ holds one file per
 * API key; the registry (handlers/index.ts) lists them, and ApiVersions answers from it.
 */
import type { GroupCoordinator } from '../groups/coordinator.js';
import type { AuthResult } from '../http/bearer-auth.js';
import type { EmbeddedBackend } from '../log/embedded/embedded-backend.js';
import type { BatchHandOver } from '../log/embedded/leader-appends.js';
import { MAX_PARTITIONS_PER_TOPIC } from '../log/storage-limits.js';
import type { Logger } from '../telemetry/logger.js';
import type { FetchMemory } from './fetch-memory.js';
import type { ProducerSequences } from './producer-sequences.js';
import type { ProducerStateRecovery } from './producer-state-recovery.js';
import type { Fields } from './protocol/fields.js';
import type { KafkaReader } from './protocol/reader.js';
import type { KafkaWriter } from './protocol/writer.js';

export interface VersionRange {
  min: number;
  max: number;
}

/** What every handler may use: the log, the group coordinator, the broker it speaks as. */
export interface KafkaServices {
  log: EmbeddedBackend;
  groups: GroupCoordinator;
  /** Node id of the one broker advertised; leader of every partition and coordinator of every group. */
  nodeId: number;
  clusterId: string;
  /** The versions of every API key served (ApiVersions' answer). */
  apis(): { apiKey: number; versions: VersionRange }[];
  /**
   * The topic a Fetch names: its name, or the text form of its topic id, which @platformatic/kafka
   * puts in the name field of Fetch v12. Unknown ones come back as given (the log then refuses them).
   */
  resolveTopic(nameOrId: string): Promise<string>;
  /** Idempotent producers' sequence numbers per partition. */
  sequences: ProducerSequences;
  /** Rebuilds a partition's idempotent producers from its log, before its first sequence check after a start. */
  producerRecovery: ProducerStateRecovery;
  /** Deletes a topic as the gateway allows it (DeleteTopics): its own topics are refused. */
  deleteTopic(topic: string): Promise<void>;
  /** A new producer id for InitProducerId, never one handed out before (a restart included). */
  nextProducerId(): number;
  /** Checks a SASL/PLAIN password; undefined when the listener needs no authentication. */
  checkToken: ((token: string) => AuthResult) | undefined;
  /** How far ahead of the gateway's clock a produced record may be stamped (`kafka.message_timestamp_after_max_ms`). */
  timestampAfterMaxMs: number;
  /** Upper bound on a Fetch's wait, whatever the client asks. */
  maxFetchWaitMs: number;
  /** The memory all Fetch responses hold together (fetch-memory.ts). */
  fetchMemory: FetchMemory;
  logger: Logger;
}

/** What a connection knows of its client across requests. */
export interface ConnectionSession {
  authenticated: boolean;
  /** The tenant of the token the client authenticated with. */
  tenant?: string;
  /** After a SaslHandshake v0, the next frame is the bare SASL token, without a request header. */
  rawTokenNext: boolean;
  /** A SaslHandshake v1 chose PLAIN: only then may a SaslAuthenticate follow, as in Kafka. */
  plainHandshake: boolean;
  /** A token was refused: the connection closes once that answer is sent, as Kafka closes it. */
  closeAfterAnswer?: string;
}

/** One request as a handler sees it. */
export interface RequestContext {
  session: ConnectionSession;
  version: number;
  clientId: string | null;
  /** What Metadata and FindCoordinator name as the broker: kafka.advertised_listener, else the address the client connected to. */
  advertisedHost: string;
  advertisedPort: number;
  remote: string;
  /**
   * The request's frame memory, given up by the handler (a Produce whose frame holds just the
   * batch it appends: the log transfers it to the broker instead of copying it; see BatchHandOver).
   * Asked before the handler's first await; undefined when the frame is not the listener's to give.
   */
  frame: BatchHandOver;
}

export interface ApiHandler<Req, Res> {
  apiKey: number;
  name: string;
  versions: VersionRange;
  /** First flexible version (compact encodings, header v2 / v1); -1 when none is. */
  flexibleFrom: number;
  readRequest(r: KafkaReader, version: number): Req;
  writeResponse(w: KafkaWriter, version: number, response: Fields<Res>): void;
  /**
   * Whether this request may start before the requests ahead of it on its connection are
   * answered: only when it issues all its effects in order as it starts (its response still
   * leaves in order). Absent: it waits, as every request does in Kafka. Such a handler must also
   * be done with the request's bytes (copy what it keeps) before its first await: the frame's
   * memory then serves a later frame (src/buffer-pool.ts).
   */
  concurrent?(request: Req): boolean;
  /**
   * True when the handler keeps no view of the request's bytes once handle() has resolved (Produce:
   * its batches are in the log by then): the frame's memory then serves a later frame, for a
   * request that was not concurrent too. Absent: the frame is left to the garbage collector (a
   * JoinGroup keeps its members' metadata, for one).
   */
  doneWithRequestWhenHandled?: true;
  /**
   * True when the handler bounds its answer itself (Fetch: its MaxBytes, at most 55 MiB, and the
   * memory of all Fetch answers together): it is not held to kafka.max_request_bytes, which every
   * other answer is (the connection is closed past it).
   */
  boundsItsAnswer?: true;
  /**
   * True when its requests carry record batches (Produce) and may be as large as
   * kafka.max_request_bytes. Every other request is held to SMALL_REQUEST_BYTES: decoding makes
   * an object of each of its entries (a 12-byte partition entry takes about 30 times that), so a
   * 100 MiB list of names would take gigabytes before any handler ran.
   */
  largeRequests?: true;
  /** The response; null when none is sent (Produce with acks 0). */
  handle(request: Req, ctx: RequestContext, services: KafkaServices): Promise<Fields<NoInfer<Res>> | null>;
  /**
   * Called once the response's bytes have left for the socket (or will never be sent): a
   * response that lent buffers to the socket unencoded (Fetch's record batches) hands them back.
   */
  sent?(response: Fields<Res>, services: KafkaServices): void;
}

/** Erases a handler's message types so handlers of every key fit one registry. */
// biome-ignore lint/suspicious/noExplicitAny: the registry holds handlers of every message type
export type AnyApiHandler = ApiHandler<any, any>;

export function defineApi<Req, Res>(handler: ApiHandler<Req, Res>): ApiHandler<Req, Res> {
  return handler;
}

/** The part of a generated message spec a handler takes its codecs' metadata from. */
export function specOf(spec: { apiKey: number; flexibleFrom: number }, versions: VersionRange) {
  return { apiKey: spec.apiKey, flexibleFrom: spec.flexibleFrom, versions };
}

/** The largest request of an API without `largeRequests` (8 MiB: a SyncGroup of 1,000 members of 1,000 partitions each is 4 MB). */
export const SMALL_REQUEST_BYTES = 8 * 1024 * 1024;

/**
 * The most entries (topic names, partitions, groups, in all its lists) a request may hold,
 * Produce's included: ten topics of the most partitions a topic may have, more than a client
 * names at once. Within 8 MiB a request could list 1.2 million names, each looked up and answered
 * (an unknown group described, an unknown topic deleted, each with its error): 0.3 to 1.7 GB and
 * half a minute for one request; a Produce (up to kafka.max_request_bytes) of 8 MiB of empty
 * partition entries took 0.3 to 0.5 GB, so 100 MiB of them would take gigabytes.
 */
export const MAX_REQUEST_ENTRIES = 10 * MAX_PARTITIONS_PER_TOPIC;
