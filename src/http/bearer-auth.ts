// Runs on: main thread.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import type { AuthConfig } from '../config/schema.js';

export interface AuthResult {
  ok: boolean;
  tenant?: string;
}

/**
 * Checks `Authorization: Bearer <token>` against the configured tokens. Tokens are compared as
 * SHA-256 digests with timingSafeEqual, so neither content nor length leaks through timing.
 * Only a missing auth block turns checking off: an empty token list lets nobody in.
 */
export function createTokenChecker(auth: AuthConfig | undefined): ((header: string | undefined) => AuthResult) | undefined {
  const match = createTokenMatcher(auth);
  if (!match) return undefined;
  return (header) => {
    const m = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    return m ? match(m[1]) : { ok: false };
  };
}

/** Checks a token itself (the Kafka listener's SASL/PLAIN password); undefined when auth is off (no auth block). */
export function createTokenMatcher(auth: AuthConfig | undefined): ((token: string) => AuthResult) | undefined {
  if (!auth) return undefined;
  const digest = (s: string) => createHash('sha256').update(s).digest();
  const known = auth.tokens.map((t) => ({ digest: digest(t.token), tenant: t.tenant }));
  return (token) => {
    const presented = digest(token);
    let match: (typeof known)[number] | undefined;
    for (const k of known) if (timingSafeEqual(k.digest, presented)) match = k;
    return match ? { ok: true, tenant: match.tenant } : { ok: false };
  };
}

/** Middleware form for JSON APIs: 401 with `{ error: { code, message } }`. */
export function bearerAuth(auth: AuthConfig | undefined, exempt: (path: string) => boolean = () => false): MiddlewareHandler {
  const check = createTokenChecker(auth);
  return async (c, next) => {
    if (!check || exempt(c.req.path) || check(c.req.header('authorization')).ok) return next();
    c.header('WWW-Authenticate', 'Bearer');
    return c.json({ error: { code: 'UNAUTHENTICATED', message: 'a valid bearer token is required' } }, 401);
  };
}
