// Runs on: main thread of the `tributary` command.
import { httpUrlOption } from './args.js';
import { CliError, EXIT } from './cli-error.js';

/**
 * A topic, group or pipeline name as one segment of an API path. A URL reads `.` and `..` (encoded
 * or not) as "this" and "the parent" path, so the request would go to another route and come back
 * as a puzzling "no route"; no topic, group or pipeline can have such a name, so it is refused here.
 */
export function nameInPath(name: string, what: string): string {
  if (name === '.' || name === '..') throw new CliError(`invalid ${what} name "${name}": names are 1-249 characters of a-z, A-Z, 0-9, ".", "_", "-", and not "." or ".."`, EXIT.usage);
  return encodeURIComponent(name);
}

/** The client of the gateway that `--admin` and `--token` (ADMIN_OPTIONS) name. */
export function adminClientOf(values: { admin: string; token?: string }, usage: string): AdminClient {
  return new AdminClient(httpUrlOption(values.admin, '--admin', 'TRIBUTARY_ADMIN_URL', 'http://127.0.0.1:4320', usage), values.token);
}

/** A small client of the admin API for CLI commands that act on a running gateway. */
export class AdminClient {
  constructor(
    private readonly baseUrl: string,
    private readonly token?: string,
  ) {}

  get<T>(path: string): Promise<T> {
    return this.request<T>('GET', path);
  }

  post<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>('POST', path, body);
  }

  patch<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>('PATCH', path, body);
  }

  delete<T>(path: string): Promise<T> {
    return this.request<T>('DELETE', path);
  }

  private async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const url = new URL(path, this.baseUrl.endsWith('/') ? this.baseUrl : this.baseUrl + '/');
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    let response: Response;
    try {
      response = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (err) {
      const reason = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
      throw new CliError(`cannot reach the gateway's admin API at ${this.baseUrl} (${reason}); is \`tributary start\` running? (--admin URL)`, EXIT.unreachable);
    }
    const text = await response.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      throw new CliError(`${method} ${url.pathname}: unexpected answer (${response.status}): ${text.slice(0, 200)}`);
    }
    if (!response.ok) {
      const error = (json as { error?: { code?: string; message?: string } } | undefined)?.error;
      // The API cannot know which flag the token came from; the command can say.
      const hint = response.status === 401 ? '; give a token of its admin.auth with --token T (env TRIBUTARY_ADMIN_TOKEN)' : '';
      throw new CliError(`${error ? `${error.message} (${error.code})` : `${method} ${url.pathname} failed with ${response.status}`}${hint}`);
    }
    return json as T;
  }
}
