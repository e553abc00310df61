// Runs in: the browser (the web console).
import { useEffect, useState } from 'preact/hooks';

/** Every console page lives under /ui; the gateway answers any of them with the same page. */
export const BASE = '/ui';

export interface Route {
  /** Path segments after /ui, e.g. ['groups', 'debug']. */
  segments: string[];
  query: URLSearchParams;
}

function current(): Route {
  const path = location.pathname.startsWith(BASE) ? location.pathname.slice(BASE.length) : location.pathname;
  return { segments: path.split('/').filter(Boolean).map(decodeURIComponent), query: new URLSearchParams(location.search) };
}

const CHANGE = 'tributary:navigate';

/** A console URL from path segments and query parameters. */
export function href(segments: string[], query?: Record<string, string | number | undefined>): string {
  const path = [BASE, ...segments.map(encodeURIComponent)].join('/');
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined && v !== '') params.set(k, String(v));
  const search = params.toString();
  return search ? `${path}?${search}` : path;
}

export function navigate(url: string, replace = false): void {
  if (replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  window.dispatchEvent(new Event(CHANGE));
}

/** The current route; follows links inside the console without reloading the page. */
export function useRoute(): Route {
  const [route, setRoute] = useState(current);
  useEffect(() => {
    const update = () => setRoute(current());
    const onClick = (e: MouseEvent) => {
      if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
      const link = (e.target as Element | null)?.closest?.('a');
      if (!link || link.target || link.origin !== location.origin || !link.pathname.startsWith(BASE)) return;
      e.preventDefault();
      navigate(link.pathname + link.search);
    };
    window.addEventListener('popstate', update);
    window.addEventListener(CHANGE, update);
    document.addEventListener('click', onClick);
    return () => {
      window.removeEventListener('popstate', update);
      window.removeEventListener(CHANGE, update);
      document.removeEventListener('click', onClick);
    };
  }, []);
  return route;
}
