/**
 * Runs on: main thread.
 *
 * The certificate and key the receiver serves (and the Kafka listener with it), read
 * and checked once as TLS will use them: a file that cannot be read, that is not PEM, or a key
 * that is not the certificate's is a config error naming its key (`receiver.tls.cert_file`),
 * rather than an OpenSSL message naming nothing.
 */
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { ConfigError } from './errors.js';

export interface TlsFiles {
  cert_file: string;
  key_file: string;
}

function read(file: string, key: string, usedBy: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new ConfigError(`${key}: cannot read ${file}${usedBy}: ${(err as Error).message}`, { cause: err });
  }
}

function checked(key: string, message: string, make: () => unknown): void {
  try {
    make();
  } catch (err) {
    throw new ConfigError(`${key}: ${message} (${(err as Error).message})`, { cause: err });
  }
}

/**
 * Reads `tls` (the block at config path `configKey`); `usedBy` says which listener wanted it.
 * Throws a ConfigError naming the key of the file at fault.
 */
export function loadTlsFiles(tls: TlsFiles, configKey: string, usedBy = ''): { cert: Buffer; key: Buffer } {
  const certKey = `${configKey}.cert_file`;
  const keyKey = `${configKey}.key_file`;
  const cert = read(tls.cert_file, certKey, usedBy);
  const key = read(tls.key_file, keyKey, usedBy);
  try {
    createSecureContext({ cert, key });
    return { cert, key };
  } catch (err) {
    // Which file is at fault: each is tried alone only once the pair failed.
    checked(certKey, `${tls.cert_file} is not a PEM certificate`, () => createSecureContext({ cert }));
    checked(keyKey, `${tls.key_file} is not a PEM private key (without a passphrase)`, () => createSecureContext({ key }));
    throw new ConfigError(`${keyKey}: ${tls.key_file} is not the key of ${tls.cert_file} (${(err as Error).message})`, { cause: err });
  }
}
