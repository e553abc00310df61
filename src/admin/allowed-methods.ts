/**
 * Runs on: main thread.
 * Which methods an app serves on a path, so that a request with the wrong method gets 405 with
 * `Allow` instead of 404. Matched with Hono's TrieRouter, which resolves paths as the app does.
 */
import type { Hono } from 'hono';
import { TrieRouter } from 'hono/router/trie-router';

const ORDER = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'];

/**
 * A lookup of the methods that have a route for a path (empty when none has). Built on first use,
 * once every route is registered; routes for every method (`ALL`) are middleware and left out.
 */
// biome-ignore lint/suspicious/noExplicitAny: any Hono app, whatever its bindings
export function allowedMethodsOf(app: Hono<any>): (path: string) => string[] {
  let lookup: ((path: string) => string[]) | undefined;
  const build = () => {
    const router = new TrieRouter<string>();
    const methods = new Set<string>();
    for (const route of app.routes) {
      if (route.method === 'ALL') continue;
      router.add(route.method, route.path, route.method);
      methods.add(route.method);
    }
    return (path: string) => {
      const allowed = new Set([...methods].filter((m) => router.match(m, path)[0].length > 0));
      // Hono answers HEAD with the GET route.
      if (allowed.has('GET')) allowed.add('HEAD');
      return [...allowed].sort((a, b) => rank(a) - rank(b));
    };
  };
  return (path) => {
    lookup ??= build();
    return lookup(path);
  };
}

function rank(method: string): number {
  const i = ORDER.indexOf(method);
  return i === -1 ? ORDER.length : i;
}
