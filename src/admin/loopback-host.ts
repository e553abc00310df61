/**
 * Runs on: main thread.
 *
 * DNS rebinding: a page of another site can point its own name at 127.0.0.1 and then read the
 * admin API of the machine its browser runs on as if it were that page's own origin (records,
 * /metrics), which the same-origin rules of browsers then allow. The browser names the page's
 * host in `Host`. An API that listens on a loopback address serves this machine's clients, which
 * name a loopback host or one the operator allowed (admin.allowed_hosts, for a reverse proxy
 * that passes its public name on); any other name is refused.
 */
import type { MiddlewareHandler } from 'hono';
import { splitEndpoint } from '../config/units.js';
import { TributaryError } from '../errors.js';
import { errorResponse } from './error-response.js';

function isLoopback(host: string): boolean {
  return host === 'localhost' || host.endsWith('.localhost') || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** The host name of a Host header: lowercase, without its port, an IPv6 address without brackets. */
function hostName(header: string): string {
  const host = header.trim().toLowerCase();
  if (host.startsWith('[')) return host.slice(1, host.indexOf(']'));
  const colon = host.lastIndexOf(':');
  return colon >= 0 ? host.slice(0, colon) : host;
}

/** Undefined when the API listens beyond loopback, where a Host check would guard nothing. */
export function loopbackHostsOnly(endpoint: string, allowedHosts: readonly string[]): MiddlewareHandler | undefined {
  if (!isLoopback(splitEndpoint(endpoint).host.toLowerCase())) return undefined;
  const allowed = new Set(allowedHosts.map((h) => h.toLowerCase()));
  return async (c, next) => {
    const header = c.req.header('host');
    const name = header === undefined ? undefined : hostName(header);
    if (name !== undefined && (isLoopback(name) || allowed.has(name))) return next();
    const message = `a request naming host "${header ?? ''}" is refused: the admin API listens on ${endpoint} and serves requests for a loopback host or one of admin.allowed_hosts`;
    return errorResponse(c, new TributaryError('HOST_NOT_ALLOWED', message));
  };
}
