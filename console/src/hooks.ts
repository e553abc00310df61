// Runs in: the browser (the web console).
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import type { ApiError } from './api.js';
import { useConsole } from './context.js';

export interface Polled<T> {
  data: T | undefined;
  error: ApiError | undefined;
  /** Reads again now (after a change the user made). */
  reload: () => void;
}

/**
 * GETs `path` now and every `intervalMs` while the view is shown (and again once a token is
 * given); keeps the last good answer beside the last error, so a failed poll does not blank the view.
 */
export function usePoll<T>(path: string | null, intervalMs = 3000): Polled<T> {
  const { api, authEpoch } = useConsole();
  const [data, setData] = useState<T>();
  const [error, setError] = useState<ApiError>();
  const [tick, setTick] = useState(0);
  const pathRef = useRef(path);
  pathRef.current = path;

  // A new path is another thing: what was shown for the old one goes.
  useEffect(() => {
    setData(undefined);
    setError(undefined);
  }, [path]);

  useEffect(() => {
    if (path === null) return;
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const read = async () => {
      try {
        const answer = await api.get<T>(path, controller.signal);
        if (pathRef.current !== path) return;
        setData(answer);
        setError(undefined);
      } catch (err) {
        if (controller.signal.aborted) return;
        setError(err as ApiError);
      }
      if (!controller.signal.aborted) timer = setTimeout(read, intervalMs);
    };
    read();
    return () => {
      controller.abort();
      clearTimeout(timer);
    };
  }, [api, path, intervalMs, tick, authEpoch]);

  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data, error, reload };
}
