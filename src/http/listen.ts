import { readFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createAdaptorServer, type ServerType } from '@hono/node-server';
import type { Hono } from 'hono';
import { splitEndpoint } from '../config/units.js';
import { ConfigError } from '../errors.js';

export interface Listener {
  readonly server: ServerType;
  address(): { host: string; port: number };
  /** Stops accepting connections, ends idle keep-alive ones and waits for requests in flight. */
  close(): Promise<void>;
}

export interface ListenOptions {
  endpoint: string;
  tls?: { cert_file: string; key_file: string };
  /** Config path of the endpoint, named in bind errors. */
  configKey: string;
}

// biome-ignore lint/suspicious/noExplicitAny: any Hono app, whatever its bindings
export async function listen(app: Hono<any>, options: ListenOptions): Promise<Listener> {
  const { host, port } = splitEndpoint(options.endpoint);
  const server = options.tls
    ? createAdaptorServer({
        fetch: app.fetch,
        createServer: createHttpsServer,
        serverOptions: { cert: readTlsFile(options.tls.cert_file, options.configKey), key: readTlsFile(options.tls.key_file, options.configKey) },
      })
    : createAdaptorServer({ fetch: app.fetch });
  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) =>
      reject(new ConfigError(`${options.configKey}: cannot listen on ${options.endpoint}: ${err.code ?? err.message}`, { cause: err }));
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  return {
    server,
    address() {
      const info = server.address() as AddressInfo;
      return { host: info.address, port: info.port };
    },
    close() {
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        if ('closeIdleConnections' in server) server.closeIdleConnections();
      });
    },
  };
}

function readTlsFile(file: string, configKey: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new ConfigError(`${configKey.replace(/\.endpoint$/, '')}.tls: cannot read ${file}: ${(err as Error).message}`, { cause: err });
  }
}
