/**
 * Runs on: main thread. Asks a broker which Kafka APIs it serves (ApiVersions v0, allowed before
 * SASL authentication), so that the backend can say "the cluster does not answer X" instead of
 * waiting for a request that librdkafka would hold until it times out.
 */
import { readFileSync } from 'node:fs';
import { connect as connectTcp, isIP, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import { ConfigError, TributaryError } from '../../errors.js';
import type { KafkaConnectionConfig } from './client-config.js';

/** The Kafka API keys whose absence changes what the backend can answer. */
export const KAFKA_API = {
  ListOffsets: 2,
  DescribeGroups: 15,
  ListGroups: 16,
  CreateTopics: 19,
  DeleteTopics: 20,
  DescribeLogDirs: 35,
} as const;

export type KafkaApiName = keyof typeof KAFKA_API;

/** API key → highest version the broker serves. */
export type ApiVersions = ReadonlyMap<number, number>;

const API_VERSIONS_KEY = 18;

function request(clientId: string): Buffer {
  const id = Buffer.from(clientId);
  const body = Buffer.alloc(2 + 2 + 4 + 2 + id.length);
  body.writeInt16BE(API_VERSIONS_KEY, 0);
  body.writeInt16BE(0, 2);
  body.writeInt32BE(1, 4);
  body.writeInt16BE(id.length, 8);
  id.copy(body, 10);
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length);
  return Buffer.concat([size, body]);
}

function parse(response: Buffer): ApiVersions {
  // correlation id (4) | error code (2) | [api key (2) | min (2) | max (2)]
  const error = response.readInt16BE(4);
  if (error !== 0) throw new Error(`ApiVersions answered error ${error}`);
  const count = response.readInt32BE(6);
  const versions = new Map<number, number>();
  for (let i = 0, pos = 10; i < count; i++, pos += 6) versions.set(response.readInt16BE(pos), response.readInt16BE(pos + 4));
  return versions;
}

/** A TLS file of `log.kafka.tls`, or a ConfigError naming its key. */
function tlsFile(path: string | undefined, key: string): Buffer | undefined {
  if (path === undefined) return undefined;
  try {
    return readFileSync(path);
  } catch (err) {
    throw new ConfigError(`log.kafka.tls.${key}: cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
}

function probe(broker: string, cluster: KafkaConnectionConfig, timeoutMs: number): Promise<ApiVersions> {
  const [host, port] = [broker.slice(0, broker.lastIndexOf(':')), Number(broker.slice(broker.lastIndexOf(':') + 1))];
  return new Promise((resolve, reject) => {
    const tls = cluster.tls;
    const socket: Socket = tls
      ? connectTls({
          host,
          port,
          // SNI takes host names only (Node warns of an IP address).
          servername: isIP(host) ? undefined : host,
          ca: tlsFile(tls.ca_file, 'ca_file'),
          cert: tlsFile(tls.cert_file, 'cert_file'),
          key: tlsFile(tls.key_file, 'key_file'),
          rejectUnauthorized: !tls.insecure_skip_verify,
        })
      : connectTcp({ host, port });
    const chunks: Buffer[] = [];
    let received = 0;
    const done = (err: Error | null, versions?: ApiVersions) => {
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else resolve(versions!);
    };
    const timer = setTimeout(() => done(new Error(`no answer from ${broker} within ${timeoutMs} ms`)), timeoutMs);
    socket.once(tls ? 'secureConnect' : 'connect', () => socket.write(request(cluster.client_id)));
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      received += chunk.length;
      const all = Buffer.concat(chunks, received);
      if (all.length >= 4 && all.length >= 4 + all.readInt32BE(0)) {
        try {
          done(null, parse(all.subarray(4, 4 + all.readInt32BE(0))));
        } catch (err) {
          done(err as Error);
        }
      }
    });
    socket.once('error', (err) => done(err));
    socket.once('close', () => done(new Error(`${broker} closed the connection`)));
  });
}

/** The APIs of the first bootstrap broker that answers; BROKER_UNAVAILABLE when none does. */
export async function probeApiVersions(cluster: KafkaConnectionConfig, timeoutMs = 5_000): Promise<ApiVersions> {
  const failures: string[] = [];
  for (const broker of cluster.brokers) {
    try {
      return await probe(broker, cluster, timeoutMs);
    } catch (err) {
      if (err instanceof ConfigError) throw err;
      failures.push(`${broker}: ${(err as Error).message}`);
    }
  }
  const keys = cluster.tls ? 'log.kafka.brokers and log.kafka.tls (do the brokers speak TLS on these ports?)' : 'log.kafka.brokers';
  throw new TributaryError('BROKER_UNAVAILABLE', `no Kafka broker answered (${failures.join('; ')}); check ${keys}`, { retriable: true });
}

/** UNSUPPORTED_BY_CLUSTER naming the API, for an answer the cluster cannot give. */
export function unsupported(api: KafkaApiName, what: string): TributaryError {
  return new TributaryError('UNSUPPORTED_BY_CLUSTER', `${what}: the Kafka cluster does not serve ${api} (API key ${KAFKA_API[api]})`, { details: { api } });
}
