/**
 * Runs on: main thread.
 *
 * SASL/PLAIN (RFC 4616) as the Kafka listener takes it: `authzid NUL username NUL password`,
 * where the password is one of `kafka.auth.tokens` and the username is free (it names the client
 * in logs). The token's tenant goes with the connection.
 */
import type { ConnectionSession, KafkaServices } from './api.js';

export const PLAIN = 'PLAIN';

/** Authenticates the session with the PLAIN bytes; returns why not, or undefined on success. */
export function authenticatePlain(bytes: Buffer, session: ConnectionSession, services: KafkaServices): string | undefined {
  if (!services.checkToken) return 'SASL is not enabled on this listener';
  const parts = bytes.toString('utf8').split('\u0000');
  if (parts.length !== 3) return 'malformed SASL/PLAIN message: expected authzid NUL username NUL password';
  const result = services.checkToken(parts[2]);
  if (!result.ok) return 'authentication failed: the password is not a valid token';
  session.authenticated = true;
  session.tenant = result.tenant;
  return undefined;
}
