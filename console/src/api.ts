// Runs in: the browser (the web console).
/**
 * The console's only way to the gateway: the admin API under /api/v1, on the origin that served
 * the page. The bearer token, once the user gave it, is kept in sessionStorage (gone with the tab)
 * and sent as `Authorization: Bearer`; a 401 asks the user for it again.
 */

const TOKEN_KEY = 'tributary.adminToken';

/**
 * How long a read waits for the gateway to start answering. A gateway that hangs (stopped, or
 * stuck) keeps its sockets open and never answers: without this, the page would go on showing its
 * last answer as if it were current. Changes have no such limit: the gateway may still apply one
 * after the page gave up on it.
 */
const ANSWER_TIMEOUT_MS = 10_000;

/** An answer other than 2xx, with the API's `{ error: { code, message, field? } }` when it sent one. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** The dotted path of the request body's first bad field, when the API names one. */
    readonly field?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export type UnauthorizedListener = (refusedToken: boolean) => void;

export class ApiClient {
  private token: string | null;
  private readonly unauthorized = new Set<UnauthorizedListener>();

  constructor(private readonly storage: Storage = sessionStorage) {
    this.token = storage.getItem(TOKEN_KEY);
  }

  setToken(token: string): void {
    this.token = token;
    this.storage.setItem(TOKEN_KEY, token);
  }

  forgetToken(): void {
    this.token = null;
    this.storage.removeItem(TOKEN_KEY);
  }

  hasToken(): boolean {
    return this.token !== null;
  }

  onUnauthorized(listener: UnauthorizedListener): () => void {
    this.unauthorized.add(listener);
    return () => this.unauthorized.delete(listener);
  }

  get<T>(path: string, signal?: AbortSignal): Promise<T> {
    return this.request<T>('GET', path, undefined, signal);
  }

  send<T>(method: 'POST' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<T> {
    return this.request<T>(method, path, body);
  }

  private async request<T>(method: string, path: string, body: unknown, signal?: AbortSignal): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const answer = new AbortController();
    const giveUp = () => answer.abort();
    signal?.addEventListener('abort', giveUp);
    let timedOut = false;
    const timer =
      method === 'GET'
        ? setTimeout(() => {
            timedOut = true;
            answer.abort();
          }, ANSWER_TIMEOUT_MS)
        : undefined;
    try {
      let res: Response;
      try {
        res = await fetch(`/api/v1/${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal: answer.signal });
      } catch (err) {
        if (signal?.aborted) throw err;
        if (timedOut) throw new ApiError(0, 'NO_ANSWER', `the gateway did not answer within ${ANSWER_TIMEOUT_MS / 1000} s (${method} /api/v1/${path}); still trying`);
        throw new ApiError(0, 'UNREACHABLE', `cannot reach the gateway (${err instanceof Error ? err.message : String(err)})`);
      } finally {
        // Once it answers, a large answer may take its time to arrive.
        clearTimeout(timer);
      }
      return this.parse<T>(method, path, res);
    } finally {
      signal?.removeEventListener('abort', giveUp);
    }
  }

  private async parse<T>(method: string, path: string, res: Response): Promise<T> {
    const text = await res.text();
    let parsed: unknown;
    let json = true;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      json = false;
    }
    if (res.ok && !json) {
      // Not the admin API's answer: something in between (a sign-in proxy's page, a misrouted path)
      // answered; taken as data, it left the views waiting for ever.
      const type = res.headers.get('content-type') ?? 'no content type';
      throw new ApiError(res.status, 'NOT_THE_API', `${method} /api/v1/${path} was answered ${res.status} with ${type}, not the admin API's JSON: is a proxy in front of the gateway answering (a sign-in page)?`);
    }
    if (res.ok) return parsed as T;
    const error = (parsed as { error?: { code?: string; message?: string; field?: string } } | undefined)?.error;
    if (res.status === 401) for (const listener of this.unauthorized) listener(this.token !== null);
    throw new ApiError(res.status, error?.code ?? `HTTP_${res.status}`, error?.message ?? `${method} /api/v1/${path} answered ${res.status} ${res.statusText}`, error?.field);
  }
}
