// Runs in: the browser (the web console).
import type { ApiError } from '../api.js';

/** An API error as the user sees it: what failed and the API's own message. */
export function ErrorBox({ error, what }: { error: ApiError | Error | undefined; what?: string }) {
  if (!error) return null;
  const code = 'code' in error ? (error as ApiError).code : undefined;
  return (
    <div class="error" role="alert">
      <strong>{what ? `Could not ${what}` : 'Error'}</strong>
      {code ? <code>{code}</code> : null}
      <span>{error.message}</span>
    </div>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p class="muted" aria-busy="true">
      Loading {what}…
    </p>
  );
}

/** A value's state as a coloured badge. */
export function Badge({ text, tone }: { text: string; tone?: 'ok' | 'warn' | 'bad' | 'info' }) {
  return <span class={`badge ${tone ?? ''}`}>{text}</span>;
}
