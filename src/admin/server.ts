// Runs on: main thread.
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { AdminConfig } from '../config/schema.js';
import { bearerAuth } from '../http/bearer-auth.js';
import { type ConnectionLimits, type Listener, listen } from '../http/listen.js';
import type { LogBackend } from '../log/backend.js';
import type { Logger } from '../telemetry/logger.js';
import type { Telemetry } from '../telemetry/telemetry.js';
import { allowedMethodsOf } from './allowed-methods.js';
import { errorResponse } from './error-response.js';
import { CONSOLE_PREFIX, consoleRoutes, isConsolePath } from './routes/console.js';
import { topicRoutes } from './routes/topics.js';
import { allowedHostsOnly } from './allowed-hosts.js';
import { sameOriginChanges } from './same-origin.js';

export interface Readiness {
  ready: boolean;
  reason?: string;
  /** More to report beside the status (the process's role, the log's connection). */
  details?: Record<string, unknown>;
}

export interface AdminServerOptions {
  config: AdminConfig;
  backend: LogBackend;
  telemetry: Telemetry;
  logger: Logger;
  /** What /readyz reports: ready once the log is up and the receiver listens. */
  readiness: () => Readiness;
  /** Extra routes under /api/v1 mounted by other components (e.g. groups). */
  routes?: Record<string, Hono>;
  /** Where the web console's built assets are; dist/console of the package by default. */
  consoleDir?: string;
  /** How `DELETE /api/v1/topics/{topic}` deletes: the gateway's guarded deletion (src/topic-guard.ts); the log's own by default. */
  deleteTopic?: (topic: string) => Promise<void>;
  /** Lower than ADMIN_MAX_CONNECTIONS where the process has few file descriptors (src/fd-budget.ts). */
  maxConnections?: number;
}

export interface AdminServer {
  start(): Promise<void>;
  shutdown(): Promise<void>;
  address(): { host: string; port: number };
  /** The Hono app, for in-process requests (tests, the CLI's embedded mode). */
  readonly app: Hono;
}

/**
 * Operators, probes and Prometheus: few clients with small requests, so short timeouts and a
 * modest connection limit; fixed, since nothing about them is the deployment's to choose.
 */
export const ADMIN_MAX_CONNECTIONS = 256;
const ADMIN_CONNECTION_LIMITS: ConnectionLimits = {
  headerTimeoutMs: 10_000,
  idleTimeoutMs: 5_000,
  requestTimeoutMs: 30_000,
  maxConnections: ADMIN_MAX_CONNECTIONS,
  shutdownTimeoutMs: 5_000,
};

/** The largest request body the API reads: its bodies are small JSON objects (a topic, a pipeline). */
const MAX_ADMIN_BODY_BYTES = 1024 * 1024;

/** Health probes stay open to orchestrators even when the API requires a token. */
const PROBES = new Set(['/healthz', '/readyz']);

export function createAdminServer(options: AdminServerOptions): AdminServer {
  const { backend, telemetry } = options;
  const app = new Hono();
  // Records hold what any client sent: a browser must never read an answer as anything but its type (refusals included).
  app.use('*', async (c, next) => {
    await next();
    c.header('X-Content-Type-Options', 'nosniff');
  });
  const hostCheck = allowedHostsOnly(options.config.endpoint, options.config.allowed_hosts, options.config.auth !== undefined);
  if (hostCheck) app.use('*', hostCheck);
  app.use('*', bearerAuth(options.config.auth, (path) => PROBES.has(path) || isConsolePath(path)));
  app.onError((err, c) => errorResponse(c, err));
  app.use('/api/*', sameOriginChanges());
  // Counted as it arrives (a chunked body too), so no request can make the process buffer more.
  app.use(
    '/api/*',
    bodyLimit({
      maxSize: MAX_ADMIN_BODY_BYTES,
      // The rest of the body is not read: the connection closes after the answer, and the client is told so.
      onError: (c) => {
        c.header('Connection', 'close');
        return c.json({ error: { code: 'PAYLOAD_TOO_LARGE', message: `the request body is larger than ${MAX_ADMIN_BODY_BYTES} bytes` } }, 413);
      },
    }),
  );
  const allowedMethods = allowedMethodsOf(app);
  app.notFound((c) => {
    const allowed = allowedMethods(c.req.path);
    if (allowed.length === 0) return c.json({ error: { code: 'NOT_FOUND', message: `no route for ${c.req.method} ${c.req.path}` } }, 404);
    c.header('Allow', allowed.join(', '));
    const message = `${c.req.method} is not allowed on ${c.req.path}; allowed: ${allowed.join(', ')}`;
    return c.json({ error: { code: 'METHOD_NOT_ALLOWED', message } }, 405);
  });

  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', (c) => {
    const r = options.readiness();
    return c.json({ status: r.ready ? 'ready' : 'not ready', reason: r.reason, ...r.details }, r.ready ? 200 : 503);
  });
  app.get('/metrics', async (c) => {
    c.header('Content-Type', telemetry.registry.contentType);
    return c.body(await telemetry.metricsText());
  });
  app.get('/api/v1/cluster', async (c) => c.json(await backend.cluster()));
  app.route('/api/v1/topics', topicRoutes(backend, options.deleteTopic ?? ((topic) => backend.deleteTopic(topic))));
  for (const [path, routes] of Object.entries(options.routes ?? {})) app.route(`/api/v1/${path}`, routes);
  app.route(CONSOLE_PREFIX, consoleRoutes(options.consoleDir));

  let listener: Listener | undefined;
  return {
    app,
    async start() {
      listener = await listen(app, { endpoint: options.config.endpoint, configKey: 'admin.endpoint', limits: { ...ADMIN_CONNECTION_LIMITS, maxConnections: options.maxConnections ?? ADMIN_MAX_CONNECTIONS } });
      const { host, port } = listener.address();
      options.logger.info(`admin API on http://${host}:${port}`);
    },
    async shutdown() {
      await listener?.close();
      listener = undefined;
    },
    address() {
      if (!listener) throw new Error('admin server is not started');
      return listener.address();
    },
  };
}
