/**
 * Runs on: main thread. The `log.kafka` (or kafka sink) settings as librdkafka properties: the
 * bootstrap servers, the client id, TLS and SASL, shared by every producer, consumer and admin
 * client Tributary opens on a cluster.
 */
import type { z } from 'zod';
import type { kafkaClusterSchema } from '../../config/schema.js';
import type { Config } from './client-types.js';

export type KafkaClusterConfig = z.infer<typeof kafkaClusterSchema>;
/** What every client on a cluster needs: where it is and how to connect. */
export type KafkaConnectionConfig = Pick<KafkaClusterConfig, 'brokers' | 'client_id' | 'tls' | 'sasl'>;

export function connectionProperties(cluster: KafkaConnectionConfig): Config {
  const props: Config = {
    'bootstrap.servers': cluster.brokers.join(','),
    'client.id': cluster.client_id,
    // librdkafka logs to stderr by default; Tributary reports failures through its own errors.
    log_level: 3,
    // Back within a second of a broker's return: the gateway answers 503 until then.
    'reconnect.backoff.max.ms': 1_000,
  };
  const tls = cluster.tls;
  const sasl = cluster.sasl;
  props['security.protocol'] = tls ? (sasl ? 'sasl_ssl' : 'ssl') : sasl ? 'sasl_plaintext' : 'plaintext';
  if (tls) {
    if (tls.ca_file) props['ssl.ca.location'] = tls.ca_file;
    if (tls.cert_file) props['ssl.certificate.location'] = tls.cert_file;
    if (tls.key_file) props['ssl.key.location'] = tls.key_file;
    props['enable.ssl.certificate.verification'] = !tls.insecure_skip_verify;
    if (tls.insecure_skip_verify) props['ssl.endpoint.identification.algorithm'] = 'none';
  }
  if (sasl) {
    props['sasl.mechanisms'] = sasl.mechanism;
    props['sasl.username'] = sasl.username;
    props['sasl.password'] = sasl.password;
  }
  return props;
}
