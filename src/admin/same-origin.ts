/**
 * Runs on: main thread.
 *
 * Changes only from the API's own origin or from clients that are not browsers. A page of another
 * site, opened in a browser that reaches the admin port, can send a POST without asking first
 * (a form, a fetch with a text/plain body): without admin.auth nothing else would stop it creating
 * a pipeline that exports every record to it. Browsers name the page's origin in `Origin` on every
 * such request; the CLI, curl and Kafka tools send none.
 */
import type { MiddlewareHandler } from 'hono';
import { TributaryError } from '../errors.js';
import { errorResponse } from './error-response.js';

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The hosts a same-origin page may name: the one it asked for, and the one a reverse proxy says it was asked for. */
function hostsOf(header: (name: string) => string | undefined): string[] {
  return [header('host'), ...(header('x-forwarded-host')?.split(',') ?? [])].flatMap((h) => (h ? [h.trim().toLowerCase()] : []));
}

function hostOfOrigin(origin: string): string | undefined {
  try {
    return new URL(origin).host.toLowerCase();
  } catch {
    return undefined; // `null` (a sandboxed frame, a file), or not a URL at all
  }
}

export function sameOriginChanges(): MiddlewareHandler {
  return async (c, next) => {
    const origin = c.req.header('origin');
    if (READS.has(c.req.method) || origin === undefined) return next();
    const host = hostOfOrigin(origin);
    if (host !== undefined && hostsOf((name) => c.req.header(name)).includes(host)) return next();
    const message = `${c.req.method} ${c.req.path} from a page of another origin (Origin: ${origin}) is refused: the admin API takes changes from its own origin (the console) and from clients that are not browsers`;
    return errorResponse(c, new TributaryError('CROSS_ORIGIN', message));
  };
}
