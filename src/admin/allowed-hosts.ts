/**
 * Runs on: main thread.
 *
 * DNS rebinding: a page of another site can point its own name at the gateway's address (127.0.0.1
 * on the machine its browser runs on, or a LAN or container address) and then read the admin API
 * as if it were that page's own origin (records, /metrics), which the same-origin rules of browsers
 * then allow. The browser names the page's host in `Host`. The API serves requests naming a
 * loopback host, an IP address (a rebound page names its own domain, never an address) or a name
 * the operator allowed (admin.allowed_hosts: a reverse proxy's public name, a service name that
 * Prometheus scrapes); any other name is refused. Only an API beyond loopback that asks for a token
 * serves every name: a rebound page has no token.
 */
import { BlockList, isIP } from 'node:net';
import type { MiddlewareHandler } from 'hono';
import { splitEndpoint } from '../config/units.js';
import { TributaryError } from '../errors.js';
import { errorResponse } from './error-response.js';

const LOOPBACK_ADDRESSES = new BlockList();
LOOPBACK_ADDRESSES.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK_ADDRESSES.addAddress('::1', 'ipv6');

/** `localhost` and its subdomains, and loopback addresses in any spelling (`[0:0:0:0:0:0:0:1]`, `::ffff:127.0.0.1`). */
function isLoopback(host: string): boolean {
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  const family = isIP(host);
  return family !== 0 && LOOPBACK_ADDRESSES.check(host, family === 4 ? 'ipv4' : 'ipv6');
}

/** The host name of a Host header: lowercase, without its port, an IPv6 address without brackets. */
function hostName(header: string): string {
  const host = header.trim().toLowerCase();
  if (host.startsWith('[')) return host.slice(1, host.indexOf(']'));
  const colon = host.lastIndexOf(':');
  return colon >= 0 ? host.slice(0, colon) : host;
}

/** Undefined where no check is needed: an API beyond loopback that asks for a token. */
export function allowedHostsOnly(endpoint: string, allowedHosts: readonly string[], tokenRequired: boolean): MiddlewareHandler | undefined {
  const onLoopback = isLoopback(splitEndpoint(endpoint).host.toLowerCase());
  if (!onLoopback && tokenRequired) return undefined;
  const allowed = new Set(allowedHosts.map((h) => h.toLowerCase()));
  // Beyond loopback, clients on other machines name the gateway by its address.
  const serves = (name: string) => isLoopback(name) || allowed.has(name) || (!onLoopback && isIP(name) !== 0);
  const served = onLoopback
    ? 'a loopback host or one of admin.allowed_hosts'
    : 'an IP address, a loopback host or one of admin.allowed_hosts (or set admin.auth, and every name is served)';
  return async (c, next) => {
    const header = c.req.header('host');
    const name = header === undefined ? undefined : hostName(header);
    if (name !== undefined && serves(name)) return next();
    const message = `a request naming host "${header ?? ''}" is refused: the admin API listens on ${endpoint} and serves requests naming ${served}`;
    return errorResponse(c, new TributaryError('HOST_NOT_ALLOWED', message));
  };
}
