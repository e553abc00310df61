/**
 * Runs on: main thread.
 */
import type { Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import type { Hono } from 'hono';
import { splitEndpoint } from '../config/units.js';
import { ConfigError } from '../errors.js';
import { loadTlsFiles } from '../tls-files.js';

export interface Listener {
  readonly server: Server;
  address(): { host: string; port: number };
  /** Connections open now. */
  connections(): Promise<number>;
  /**
   * Stops accepting connections, ends idle keep-alive ones and waits for requests in flight, for
   * `shutdownTimeoutMs` at most: then it closes the connections still open (a client stuck
   * mid-body, say), so a shutdown never waits on a client.
   */
  close(): Promise<void>;
}

/**
 * What one connection may cost, so that slow, idle or too many clients cannot hold sockets and
 * descriptors for ever: Node's HTTP server enforces the timeouts, and answers 408 Request Timeout
 * (then closes) to a request that has not arrived in time and was not answered yet.
 */
export interface ConnectionLimits {
  /**
   * Longest the request line and headers may take to arrive (a connection that sends nothing
   * included); with TLS, also the longest its handshake may take.
   */
  headerTimeoutMs: number;
  /** Longest a keep-alive connection may sit idle between requests. */
  idleTimeoutMs: number;
  /** Longest a whole request, headers and body, may take to arrive; 0 for no limit. */
  requestTimeoutMs: number;
  /** Open connections at most; past it, new ones are closed as soon as they are accepted. */
  maxConnections: number;
  /** How long close() lets requests in flight finish before it closes their connections. */
  shutdownTimeoutMs: number;
}

export interface ListenOptions {
  endpoint: string;
  tls?: { cert_file: string; key_file: string };
  /** Config path of the endpoint, named in bind errors. */
  configKey: string;
  limits: ConnectionLimits;
  /** Called for each connection closed at once because `maxConnections` were open. */
  onRefused?: () => void;
  /**
   * The app answers `Expect: 100-continue` itself, once it has checked the request's headers
   * (`writeContinue` before it reads the body), so a client refused by them never uploads its body.
   * Otherwise Node says 100 Continue at once.
   */
  appContinues?: boolean;
}

// biome-ignore lint/suspicious/noExplicitAny: any Hono app, whatever its bindings
export async function listen(app: Hono<any>, options: ListenOptions): Promise<Listener> {
  const { host, port } = splitEndpoint(options.endpoint);
  const { limits } = options;
  const serverOptions = {
    headersTimeout: limits.headerTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    // Node checks the header and request timeouts on this period (30 s by default), so a timeout
    // fires at most a quarter of the shortest one late (and at most a second).
    connectionsCheckingInterval: Math.max(10, Math.min(1000, Math.floor(shortestTimeout(limits) / 4))),
  };
  const server = (
    options.tls
      ? createAdaptorServer({
          fetch: app.fetch,
          createServer: createHttpsServer,
          serverOptions: {
            ...serverOptions,
            // Before its handshake a TLS connection is not HTTP yet, so the header timeout does not see it.
            handshakeTimeout: limits.headerTimeoutMs,
            ...loadTlsFiles(options.tls, `${options.configKey.replace(/\.endpoint$/, '')}.tls`),
          },
        })
      : createAdaptorServer({ fetch: app.fetch, serverOptions })
  ) as Server;
  // Node closes an idle keep-alive socket up to a second after this (keepAliveTimeoutBuffer, since
  // 20.20), so a client reusing it just as the advertised timeout ends is not reset.
  server.keepAliveTimeout = limits.idleTimeoutMs;
  server.maxConnections = limits.maxConnections;
  if (options.onRefused) server.on('drop', options.onRefused);
  if (options.appContinues) server.on('checkContinue', (req, res) => server.emit('request', req, res));
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
    connections() {
      return new Promise((resolve) => server.getConnections((err, count) => resolve(err ? 0 : count)));
    },
    close() {
      return new Promise<void>((resolve) => {
        const cut = setTimeout(() => server.closeAllConnections(), limits.shutdownTimeoutMs);
        server.close(() => {
          clearTimeout(cut);
          resolve();
        });
        server.closeIdleConnections();
      });
    },
  };
}

function shortestTimeout(limits: ConnectionLimits): number {
  return limits.requestTimeoutMs > 0 ? Math.min(limits.headerTimeoutMs, limits.requestTimeoutMs) : limits.headerTimeoutMs;
}
