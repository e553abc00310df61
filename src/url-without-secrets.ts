/**
 * Runs on: main thread (the API's and the CLI's view of a sink) and sink workers (the messages of
 * failed exports, which reach logs and dead-letter headers).
 *
 * What of a destination URL may be shown: its password, a user name standing alone (often a token,
 * `https://TOKEN@host`) and each query parameter that names a secret (`?api_key=…`) replaced, the
 * rest kept so an operator can still tell which endpoint it is.
 */
export const REDACTED = '<redacted>';

/** Names of settings, headers and query parameters whose values are secrets. */
export const SECRET_KEY = /pass(word)?|secret|token|api[-_]?key|authorization|credential/i;

/** Query parameters that carry a secret under a short name: signed URLs' `sig`, API keys' `key`. */
const SECRET_QUERY = /^(sig|signature|key|code)$/i;

/** A URL (`scheme://…`) with its secrets replaced; any other text as it is. */
export function urlWithoutSecrets(text: string): string {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) return text;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return text;
  }
  let changed = false;
  if (url.password) {
    url.password = REDACTED;
    changed = true;
  } else if (url.username) {
    url.username = REDACTED;
    changed = true;
  }
  for (const name of new Set(url.searchParams.keys())) {
    if (!SECRET_KEY.test(name) && !SECRET_QUERY.test(name)) continue;
    url.searchParams.set(name, REDACTED);
    changed = true;
  }
  if (!changed) return text;
  return url.toString().replaceAll(encodeURIComponent(REDACTED), REDACTED);
}
